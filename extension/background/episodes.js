/**
 * Episode fields of captured events: session (per browser start), tab (per tab), step (per-tab
 * counter) and the open task. Kept in chrome.storage.session, so a restarted worker continues each
 * tab's count and a new browser start begins a new session.
 */
import { closeTab, newEpisodes, nextStep, randomToken } from "../shared/episode.js";
import { KEY_EPISODES, KEY_TASK, readKey, writeKeys } from "../shared/storage.js";

let episodes = null;
let task = null; // {task, goal, since}
let saving = Promise.resolve();

/** Restore (or start) the session's episode state; call before stamping anything. */
export async function restoreEpisodes() {
  episodes = (await readKey("session", KEY_EPISODES)) || newEpisodes();
  task = (await readKey("session", KEY_TASK)) || null;
  await save();
}

function save() {
  const snapshot = { [KEY_EPISODES]: structuredClone(episodes), [KEY_TASK]: task };
  saving = saving.then(() => writeKeys("session", snapshot)).catch((err) => {
    console.warn("overt: episode state not saved: %s", err && err.message);
  });
  return saving;
}

/**
 * Give `event` its session, tab, step (and task while one is open). Synchronous up to the save, so
 * events stamped in the order they arrive get steps in that order.
 */
export function stamp(event, tabId) {
  Object.assign(event, nextStep(episodes, tabId));
  if (task) event.task = task.task;
  return save();
}

export function forgetTab(tabId) {
  if (!episodes) return;
  closeTab(episodes, tabId);
  save();
}

export const currentTask = () => task;
export const currentSession = () => episodes && episodes.session;

/** Open a task; returns it. */
export async function openTask(goal) {
  task = { task: randomToken("k_"), goal, since: Date.now() };
  await save();
  return task;
}

/** Close the open task; returns it (null when none was open). */
export async function closeTask() {
  const closed = task;
  task = null;
  await save();
  return closed;
}
