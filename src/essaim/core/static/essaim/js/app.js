// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function closeNavOnSmallScreens() {
    if (window.matchMedia("(max-width: 899px)").matches) {
      document.querySelectorAll("details.nav-toggle[open]").forEach(function (el) {
        el.removeAttribute("open");
      });
    }
  }

  function closeMenusOnOutsideClick(event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  }

  function bindSelectAll(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-select-all");
        document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (cb) {
          cb.checked = box.checked;
        });
      });
    });
  }

  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    closeNavOnSmallScreens();
    bindSelectAll(document);
    focusErrorSummary();
    document.addEventListener("click", closeMenusOnOutsideClick);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        document.querySelectorAll("details.menu[open]").forEach(function (menu) {
          menu.removeAttribute("open");
          menu.querySelector("summary").focus();
        });
      }
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    bindSelectAll(event.target);
  });

  // htmx sends the CSRF token from the cookie on every non-GET request.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) {
      event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
    }
  });
})();
