// Draws every chart of the page from the specifications embedded in it. When all
// are drawn, <html> gets data-rendered="N" (N charts); a chart that fails shows why.
(function () {
  "use strict";
  var locale = JSON.parse(document.getElementById("etown-locale").textContent);
  var charts = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
  var pending = charts.length;
  var drawn = 0;
  window.etownViews = {};
  function finished() {
    pending -= 1;
    if (pending === 0) {
      document.documentElement.setAttribute("data-rendered", String(drawn));
    }
  }
  if (typeof vegaEmbed !== "function") {
    document.documentElement.setAttribute("data-chart-error", "vegaEmbed missing");
    return;
  }
  var options = {
    renderer: "svg",
    // export only: "open in editor" would send the data to a web site
    actions: { export: true, source: false, compiled: false, editor: false },
    i18n: locale.menu
  };
  if (locale.time) {
    options.timeFormatLocale = locale.time;
  }
  charts.forEach(function (element) {
    var name = element.getAttribute("data-chart");
    var spec = JSON.parse(document.getElementById("spec-" + name).textContent);
    vegaEmbed(element, spec, options)
      .then(function (result) {
        window.etownViews[name] = result.view;
        drawn += 1;
        finished();
      })
      .catch(function (error) {
        element.textContent = String(error);
        element.className += " chart-error";
        document.documentElement.setAttribute("data-chart-error", name + ": " + error);
        finished();
      });
  });
})();
