// The Overview's chart: requests and contact rate per day, from the page's JSON
// (a <script type="application/json">, so the page needs no inline script).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("daily-series");
  var canvas = document.getElementById("daily-chart");
  if (!data || !canvas || typeof Chart === "undefined") {
    return;
  }
  var series = JSON.parse(data.textContent || "[]");
  new Chart(canvas, {
    data: {
      labels: series.map(function (d) { return d.day; }),
      datasets: [
        {
          type: "bar",
          label: "requests",
          data: series.map(function (d) { return d.requests; }),
          backgroundColor: "#9ec5e8",
          yAxisID: "count",
        },
        {
          type: "line",
          label: "reached (%)",
          data: series.map(function (d) {
            return d.contact_rate === null ? null : Math.round(d.contact_rate * 1000) / 10;
          }),
          borderColor: "#1b6e3a",
          backgroundColor: "#1b6e3a",
          yAxisID: "rate",
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        count: { type: "linear", position: "left", beginAtZero: true },
        rate: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
      },
    },
  });
});
