/** Which key presses are commands (Enter, Escape, arrows, Ctrl/Cmd shortcuts), never text. */
import { COMMAND_KEYS } from "./constants.js";

const SHORTCUT_KEY = /^[A-Za-z0-9]$/;

/**
 * {key, mods} for a command key press, or null for anything that could be text: a printable
 * character is kept only with Ctrl or Cmd held (Ctrl+S), and never without a modifier.
 */
export function commandKey(ev) {
  if (!ev || typeof ev.key !== "string" || ev.repeat || ev.isComposing) return null;
  const mods = [];
  if (ev.altKey) mods.push("alt");
  if (ev.ctrlKey) mods.push("ctrl");
  if (ev.metaKey) mods.push("meta");
  if (ev.shiftKey) mods.push("shift");
  if (COMMAND_KEYS.includes(ev.key)) return { key: ev.key, mods };
  if ((ev.ctrlKey || ev.metaKey) && SHORTCUT_KEY.test(ev.key)) return { key: ev.key, mods };
  return null;
}
