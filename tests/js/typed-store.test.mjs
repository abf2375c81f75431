// Which documents the service worker asks for typed words before it masks an event
// (extension/background/typed-store.js), with chrome.tabs and chrome.storage.session stubbed.
import assert from "node:assert/strict";
import { test } from "node:test";

const session = new Map();
const asked = []; // [tabId, frameId] of every "typing-now" sent
// By "tabId:frameId": a reply, "gone" (sendMessage rejects: no such document), or a function.
const documents = new Map();

globalThis.chrome = {
  storage: {
    session: {
      get: async (key) => (session.has(key) ? { [key]: structuredClone(session.get(key)) } : {}),
      set: async (values) => {
        for (const [key, value] of Object.entries(values)) session.set(key, structuredClone(value));
      },
    },
  },
  tabs: {
    sendMessage: async (tabId, message, { frameId }) => {
      assert.equal(message.type, "typing-now");
      asked.push([tabId, frameId]);
      const reply = documents.get(`${tabId}:${frameId}`);
      if (reply === undefined || reply === "gone") throw new Error("no receiving end");
      return typeof reply === "function" ? reply() : reply;
    },
  },
};

const realNow = Date.now;
let later = 0; // ms added to the clock
Date.now = () => realNow() + later;

const store = await import("../../extension/background/typed-store.js");
await store.restoreTyped();
const answer = (hashes = []) => ({ ok: true, watching: true, salt: store.typed.salt, hashes });

/** The documents asked while learning the typed words for an event of `tabId`. */
async function askedFor(tabId) {
  asked.length = 0;
  const vouched = await store.learnTyping(tabId);
  return { vouched, asked: asked.map(([tab, frame]) => `${tab}:${frame}`).sort() };
}

test("an event's own tab: its frames are asked, never its top document", async () => {
  documents.set("10:0", answer());
  documents.set("10:3", answer());
  store.addTypingFrame(10, 0, true);
  store.addTypingFrame(10, 3);
  assert.equal(store.mustAskTyping(10), true);
  assert.deepEqual(await askedFor(10), { vouched: true, asked: ["10:3"] });
  store.forgetTypingFrames(10);
  assert.equal(store.mustAskTyping(10), false);
});

test("another tab: every document of it, while it is typed in (12 s)", async () => {
  documents.set("20:0", answer());
  documents.set("20:5", answer());
  store.addTypingFrame(20, 0); // registered, not typed in yet: only its own tab would ask it
  store.addTypingFrame(20, 5);
  assert.deepEqual(await askedFor(21), { vouched: true, asked: [] });
  store.addTypingFrame(20, 5, true); // typed in the frame: the whole tab is asked by others
  assert.deepEqual(await askedFor(21), { vouched: true, asked: ["20:0", "20:5"] });
  later += 11_000;
  assert.deepEqual((await askedFor(21)).asked, ["20:0", "20:5"]);
  later += 2_000; // 13 s after the last typing: no longer asked by other tabs
  assert.equal(store.mustAskTyping(21), false);
  assert.deepEqual((await askedFor(20)).asked, ["20:5"]); // its own frame still is
  store.forgetTypingFrames(20);
});

test("a typed word another document answers with is masked in the event", async () => {
  const hash = store.typed.hashOf("qokamul");
  documents.set("30:0", answer([hash]));
  store.addTypingFrame(30, 0, true);
  assert.equal(store.maskTyped("Draft qokamul"), "Draft qokamul");
  assert.deepEqual(await askedFor(31), { vouched: true, asked: ["30:0"] });
  assert.equal(store.maskTyped("Draft qokamul"), "Draft [typed]");
  store.forgetTypingFrames(30);
});

test("a document gone, or no longer watching, is not asked again", async () => {
  documents.set("40:0", "gone");
  documents.set("40:2", { ok: false, watching: false });
  store.addTypingFrame(40, 0, true);
  store.addTypingFrame(40, 2);
  assert.deepEqual(await askedFor(41), { vouched: true, asked: ["40:0", "40:2"] });
  assert.deepEqual(await askedFor(41), { vouched: true, asked: [] });
  assert.equal(store.mustAskTyping(40), false);
  store.forgetTypingFrames(40);
});

test("a closed tab is forgotten, its documents and its typing", async () => {
  documents.set("50:0", answer());
  store.addTypingFrame(50, 0, true);
  assert.equal(store.mustAskTyping(51), true);
  store.forgetTypingFrames(50);
  assert.equal(store.mustAskTyping(51), false);
});

test("bad registrations are refused", () => {
  assert.deepEqual(store.addTypingFrame("60", 0, true), { ok: false });
  assert.deepEqual(store.addTypingFrame(60, -1, true), { ok: false });
  assert.deepEqual(store.addTypingFrame(60, 1.5), { ok: false });
  assert.equal(store.mustAskTyping(61), false);
});

test("a restarted worker knows the documents and the tabs typed in", async () => {
  documents.set("70:0", answer());
  documents.set("70:4", answer());
  store.addTypingFrame(70, 0, true);
  store.addTypingFrame(70, 4);
  await new Promise((resolve) => setTimeout(resolve, 10)); // saved (not awaited by callers)
  const saved = Object.fromEntries(session);
  assert.deepEqual(saved["overt.typingFrames"]["70"].sort(), [0, 4]);
  assert.equal(typeof saved["overt.typingTabs"]["70"], "number");
  store.forgetTypingFrames(70); // as a fresh worker's memory is empty...
  assert.equal(store.mustAskTyping(71), false);
  for (const [key, value] of Object.entries(saved)) session.set(key, value);
  await store.restoreTyped(); // ...and then restored from session storage
  assert.deepEqual((await askedFor(71)).asked, ["70:0", "70:4"]);
  assert.deepEqual((await askedFor(70)).asked, ["70:4"]);
  store.forgetTypingFrames(70);
});
