// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Respondent suggestions on the complaint form.
  var input = document.querySelector("[data-suggest]");
  if (input) {
    var list = document.getElementById("respondent-suggestions");
    var hiddenId = document.getElementById("respondent_id");
    var uscc = document.getElementById("respondent_uscc");
    var timer = null;
    input.addEventListener("input", function () {
      hiddenId.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 1) { list.hidden = true; return; }
      timer = setTimeout(function () {
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (item) {
              var li = document.createElement("li");
              var button = document.createElement("button");
              button.type = "button";
              button.textContent = item.name + (item.odr_enterprise ? " · ODR" : "");
              button.addEventListener("click", function () {
                input.value = item.name;
                hiddenId.value = item.id;
                if (item.uscc) { uscc.value = item.uscc; }
                list.hidden = true;
              });
              li.appendChild(button);
              list.appendChild(li);
            });
            list.hidden = items.length === 0;
          })
          .catch(function () { list.hidden = true; });
      }, 200);
    });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
