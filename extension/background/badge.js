/** The toolbar badge: the capture state at a glance (screenpipe#4664: recording must be visible). */
import { PLACE, STATUS } from "../shared/constants.js";

const BADGES = {
  [STATUS.CAPTURING]: ["REC", "#1a7f37", "Overt is capturing on this work app"],
  [PLACE.NOT_WORK_APP]: ["off", "#667085", "Overt is not capturing here: not a work app"],
  [PLACE.NOTHING_ON]: ["off", "#667085", "Overt is not capturing: nothing switched on"],
  [STATUS.PAUSED_ADMIN]: ["||", "#b42318", "Overt is paused by your administrator"],
  [STATUS.PAUSED_SELF]: ["zz", "#b54708", "Overt is paused by you"],
  [STATUS.NOT_CONFIGURED]: ["!", "#667085", "Overt is not configured"],
  [STATUS.BAD_TOKEN]: ["!", "#b42318", "Overt: the enrollment token was refused"],
  [STATUS.DISCONNECTED]: ["off", "#667085", "Overt is not capturing: no contact with the server"],
};

/**
 * Show `status` (a STATUS or PLACE value) on the toolbar icon, for one tab or as the default.
 * `connected` adds "offline" while capturing; `checking` marks a remembered state at start-up.
 */
export function showStatus(status, { connected = true, checking = false, tabId } = {}) {
  const [text, color, title] = BADGES[status] || BADGES[STATUS.DISCONNECTED];
  const offline = status === STATUS.CAPTURING && !connected ? " (offline: events are kept until it reconnects)" : "";
  const where = Number.isInteger(tabId) ? { tabId } : {};
  chrome.action.setBadgeText({ ...where, text: checking ? `${text}…` : text }).catch(() => {});
  chrome.action.setBadgeBackgroundColor({ ...where, color }).catch(() => {});
  chrome.action.setTitle({ ...where, title: title + offline + (checking ? " (checking…)" : "") }).catch(() => {});
}
