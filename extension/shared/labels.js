/** Words shown to employees in the popup and the options page. */
import { PLACE, STATUS } from "./constants.js";

export const CATEGORY_TEXT = Object.freeze({
  navigation: ["Pages", "Which work-app pages you open (addresses without query strings)"],
  clicks: ["Clicks", "Which buttons and links you click (not where the mouse moves)"],
  forms: ["Form submits", "That a form was sent and how many fields it had, never what you typed"],
  scroll: ["Scrolling", "How far down a page you scrolled, in percent"],
  focus: ["Tab focus", "When you switch to or away from a work-app tab"],
  typing: ["Typing activity", "How many times you typed in a field, never keys or text"],
});

export const STATUS_TEXT = Object.freeze({
  [STATUS.CAPTURING]: "Capturing on your work apps",
  [STATUS.PAUSED_ADMIN]: "Paused by your administrator",
  [STATUS.PAUSED_SELF]: "Paused by you",
  [STATUS.NOT_CONFIGURED]: "Not configured",
  [STATUS.BAD_TOKEN]: "Not configured: the server refused the enrollment token",
  [STATUS.DISCONNECTED]: "Not capturing: no contact with the server",
});

/** The popup's headline for the current tab (extension/shared/gate.js placeStatus). */
export const PLACE_TEXT = Object.freeze({
  ...STATUS_TEXT,
  [PLACE.CAPTURING]: "Capturing on this work app",
  [PLACE.NOT_WORK_APP]: "Not capturing here: not a work app",
  [PLACE.NOTHING_ON]: "Not capturing: nothing switched on",
});
