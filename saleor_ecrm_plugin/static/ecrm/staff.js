/* The staff page's charts, drawn with Chart.js (vendor/chartjs, loaded before). */
(function () {
  "use strict";
  var source = document.getElementById("ecrm-chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#1f2430", "#3b82f6", "#10b981", "#f59e0b", "#ef4444"];
  function datasets(series, keys) {
    return keys.map(function (key, i) {
      return { label: data.labels[key], data: series[key], backgroundColor: colours[i % colours.length] };
    });
  }
  var options = { responsive: true, maintainAspectRatio: false, animation: false };
  window.ecrmCharts = [
    new Chart(document.getElementById("funnel-chart"), {
      type: "bar",
      data: { labels: data.programs, datasets: datasets(data.funnel, ["sent", "opened", "clicked", "unsubscribed", "bounced"]) },
      options: options
    }),
    new Chart(document.getElementById("revenue-chart"), {
      type: "bar",
      data: { labels: data.programs, datasets: datasets(data.revenue, ["click_revenue", "influenced_revenue"]) },
      options: options
    })
  ];
}());
