// The rows both grid pages show: colleagues' names, e-mail addresses and teams (fake people).
window.PEOPLE = [
  { name: "Evander Quillon", email: "evander.quillon@example.com", team: "Support", status: "Active" },
  { name: "Marisol Thackeray", email: "marisol.thackeray@example.com", team: "Sales", status: "Away" },
  { name: "Leofric Dunmore", email: "leofric.dunmore@example.com", team: "Billing", status: "Active" },
];
