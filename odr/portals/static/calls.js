// Taking a call (/regulator/calls/new): progressive enhancement only. Without this file the
// form still files; the caller's open cases are then shown when it is first sent.
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form) { return; }
  var en = document.documentElement.lang === "en";
  var text = en
    ? { open: function (n) { return "This caller has " + n + " open case(s): if it is the same dispute, open it instead of filing again."; },
        none: "No open case of this caller.", report: "Report" }
    : { open: function (n) { return "该来电人有 " + n + " 件未办结的案件：同一纠纷请打开原案件，不要重复登记。"; },
        none: "该来电人没有未办结的案件。", report: "举报" };

  var debounce = function (fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  };

  // The caller's open cases, as soon as the number is a phone number.
  var phone = document.getElementById("complainant_phone");
  var panel = document.getElementById("caller-cases");
  var checked = document.getElementById("caller_checked");
  var lastPhone = null;
  var showCases = function (data) {
    panel.textContent = "";
    if (!data.cases.length) {
      var p = document.createElement("p");
      p.textContent = text.none;
      panel.appendChild(p);
    } else {
      var h = document.createElement("h2");
      h.textContent = text.open(data.cases.length);
      panel.appendChild(h);
      var ul = document.createElement("ul");
      ul.className = "caller-list";
      data.cases.forEach(function (c) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = c.url;
        a.textContent = c.number;
        li.appendChild(a);
        var rest = [c.respondent_name, c.state, c.complainant, c.received];
        if (c.report) { rest.unshift(text.report); }
        li.appendChild(document.createTextNode(" · " + rest.join(" · ")));
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    }
    panel.hidden = false;
    checked.value = data.phone;  // the clerk has seen them: sending files
  };
  var lookUpCaller = function () {
    var value = phone.value.replace(/[\s-]/g, "");
    if (value === lastPhone) { return; }
    lastPhone = value;
    if (value.replace(/\D/g, "").length < 7) { panel.hidden = true; checked.value = ""; return; }
    fetch("/regulator/calls/caller?phone=" + encodeURIComponent(value), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (phone.value.replace(/[\s-]/g, "") !== value) { return; }  // typed on meanwhile
        if (data) { showCases(data); } else { panel.hidden = true; checked.value = ""; }
      })
      .catch(function () { panel.hidden = true; });
  };
  if (phone && panel && checked) {
    phone.addEventListener("input", debounce(lookUpCaller, 250));
    phone.addEventListener("change", lookUpCaller);
  }

  // The respondent as the clerk types: ↓/↑ choose, Enter takes it, Esc closes.
  var input = document.querySelector("[data-lookup]");
  var list = document.getElementById("call-respondent-suggestions");
  var hiddenId = document.getElementById("respondent_id");
  var uscc = document.getElementById("respondent_uscc");
  var address = document.getElementById("respondent_address");
  var items = [];
  var active = -1;
  var close = function () {
    list.hidden = true;
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  var highlight = function (index) {
    var options = list.querySelectorAll("[role=option]");
    active = (index + options.length) % options.length;
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", options[active].id);
  };
  var pick = function (item) {
    input.value = item.name;
    hiddenId.value = item.id;
    if (item.uscc) { uscc.value = item.uscc; }
    if (item.address && !address.value) { address.value = item.address; }
    close();
    input.focus();
  };
  if (input && list) {
    input.addEventListener("input", function () { hiddenId.value = ""; });
    input.addEventListener("input", debounce(function () {
      var q = input.value.trim();
      if (!q) { close(); return; }
      fetch(input.dataset.lookup + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          if (input.value.trim() !== q) { return; }
          items = found;
          list.textContent = "";
          found.forEach(function (item, i) {
            var li = document.createElement("li");
            li.id = "call-respondent-" + i;
            li.setAttribute("role", "option");
            li.setAttribute("aria-selected", "false");
            li.textContent = item.name + (item.odr_enterprise ? " · ODR" : "") + (item.uscc ? " · " + item.uscc : "");
            li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(item); });
            list.appendChild(li);
          });
          if (found.length) {
            list.hidden = false;
            input.setAttribute("aria-expanded", "true");
            active = -1;
          } else { close(); }
        })
        .catch(close);
    }, 150));
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); pick(items[active]); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    input.addEventListener("blur", close);
  }

  // A complaint or a report: show the fields of the one chosen.
  var kinds = form.querySelectorAll("input[name=kind]");
  var showKind = function () {
    var chosen = form.querySelector("input[name=kind]:checked");
    var kind = chosen ? chosen.value : "complaint";
    form.querySelectorAll("[data-kind]").forEach(function (part) {
      part.hidden = part.getAttribute("data-kind") !== kind;
    });
  };
  kinds.forEach(function (radio) { radio.addEventListener("change", showKind); });
  showKind();

  // Enter sends from any field; in the facts (several lines) Ctrl+Enter does.
  var facts = document.getElementById("facts");
  if (facts) {
    facts.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
  }
})();
