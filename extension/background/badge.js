/** The toolbar badge: the capture state at a glance (screenpipe#4664: recording must be visible). */
import { STATUS } from "../shared/constants.js";

const BADGES = {
  [STATUS.CAPTURING]: ["REC", "#1a7f37", "Overt is capturing on your work apps"],
  [STATUS.PAUSED_ADMIN]: ["||", "#b42318", "Overt is paused by your administrator"],
  [STATUS.PAUSED_SELF]: ["zz", "#b54708", "Overt is paused by you"],
  [STATUS.NOT_CONFIGURED]: ["!", "#667085", "Overt is not configured"],
  [STATUS.BAD_TOKEN]: ["!", "#b42318", "Overt: the enrollment token was refused"],
  [STATUS.DISCONNECTED]: ["off", "#667085", "Overt is not capturing: no contact with the server"],
};

/** Show `status` on the toolbar icon; `connected` adds "offline" to the tooltip while capturing. */
export function showStatus(status, connected) {
  const [text, color, title] = BADGES[status] || BADGES[STATUS.DISCONNECTED];
  const suffix = status === STATUS.CAPTURING && !connected ? " (offline: events are kept until it reconnects)" : "";
  chrome.action.setBadgeText({ text }).catch(() => {});
  chrome.action.setBadgeBackgroundColor({ color }).catch(() => {});
  chrome.action.setTitle({ title: title + suffix }).catch(() => {});
}
