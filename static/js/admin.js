// Accessible names for the widgets Django's admin builds in the browser (issue 12, WCAG 2.1
// 4.1.2 "Name, Role, Value"). Loaded on every admin page by templates/admin/base_site.html.
"use strict";
(function () {
  // filter_horizontal (SelectFilter2.js) puts aria-label on a bare <span>, where ARIA
  // prohibits it and screen readers ignore it; as an image the span names its label.
  function nameFilterIcons() {
    document
      .querySelectorAll("span.search-label-icon[aria-label]:not([role])")
      .forEach((span) => span.setAttribute("role", "img"));
  }

  // autocomplete_fields (Select2) names its combobox by the chosen text only, so an empty
  // choice has no name: name it by the field's own label, followed by the choice.
  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const label = select.id && document.querySelector(`label[for="${select.id}"]`);
      const chosen = document.getElementById(`select2-${select.id}-container`);
      const combobox = chosen && chosen.closest(".select2-selection");
      if (!label || !combobox) {
        return;
      }
      label.id = label.id || `${select.id}_label`;
      chosen.setAttribute("aria-labelledby", label.id);
      combobox.setAttribute("aria-labelledby", `${label.id} ${chosen.id}`);
    });
  }

  // A date-time field (AdminSplitDateTime) is two inputs after the plain words "Datum:" and
  // "Tid:"; the field's own label can point at one input only (its `for` is empty). Make
  // each word the label of its input, with the field's label for a screen reader.
  function labelDateTimes() {
    document.querySelectorAll("p.datetime").forEach((paragraph) => {
      const field = paragraph.closest(".flex-container");
      const fieldLabel = field && field.querySelector(":scope > label");
      paragraph.querySelectorAll("input").forEach((input) => {
        const word = input.previousSibling;
        if (!input.id || !word || word.nodeType !== Node.TEXT_NODE || !word.textContent.trim()) {
          return;
        }
        const label = document.createElement("label");
        label.htmlFor = input.id;
        if (fieldLabel) {
          const context = document.createElement("span");
          context.className = "visually-hidden";
          context.textContent = `${fieldLabel.textContent.replace(/:\s*$/, "")}, `;
          label.append(context);
        }
        label.append(word.textContent.trim());
        word.replaceWith(label, " ");
      });
    });
  }

  function nameWidgets() {
    nameFilterIcons();
    nameAutocompletes();
    labelDateTimes();
  }

  // Both widgets are built after this script runs (on "load" and jQuery's ready) and again
  // for each inline row added, so follow the page's changes.
  new MutationObserver(nameWidgets).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  document.addEventListener("DOMContentLoaded", nameWidgets);
})();
