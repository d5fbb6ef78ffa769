// Names two of Django's own admin widgets for assistive technology (WCAG 4.1.2), once they are
// drawn (on the window's load): the "filter" icon of a filter_horizontal box carries an
// aria-label, allowed only on an element with a role; and an autocomplete box (select2) is named
// by its current choice alone, so an empty one has no name: the box gets its field's label
// before the choice, and the read-only text box showing the choice gets the label.
"use strict";

function nameAdminWidgets() {
  for (const icon of document.querySelectorAll(".search-label-icon[aria-label]:not([role])")) {
    icon.setAttribute("role", "img");
  }
  for (const select of document.querySelectorAll("select.admin-autocomplete[id]")) {
    const label = document.querySelector(`label[for="${select.id}"]`);
    const box = select.parentElement.querySelector(".select2-selection[role=combobox]");
    if (!label || !box || box.dataset.named) continue;
    label.id = label.id || `${select.id}-label`;
    box.setAttribute("aria-labelledby", `${label.id} ${box.getAttribute("aria-labelledby") || ""}`.trim());
    const choice = box.querySelector(".select2-selection__rendered[role=textbox]");
    if (choice) choice.setAttribute("aria-labelledby", label.id);
    box.dataset.named = "1";
  }
}

window.addEventListener("load", () => setTimeout(nameAdminWidgets));
