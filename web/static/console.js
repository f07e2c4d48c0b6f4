// The console's charts, drawn from JSON the page carries in a
// <script type="application/json"> (so no page needs an inline script):
// the Overview's requests and contact rate per day, the Model page's reliability curve.
// Their words come the same way (#chart-words: the language pack's console.yaml "chart" keys).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var wordsData = document.getElementById("chart-words");
  var words = JSON.parse((wordsData && wordsData.textContent) || "{}");
  function word(key) {
    return words[key] || key;
  }
  var bins = document.getElementById("reliability-series");
  var curve = document.getElementById("reliability-chart");
  if (bins && curve && typeof Chart !== "undefined") {
    var points = JSON.parse(bins.textContent || "[]").map(function (b) {
      return { x: Math.round(b.predicted * 1000) / 10, y: Math.round(b.observed * 1000) / 10 };
    });
    new Chart(curve, {
      type: "scatter",
      data: {
        datasets: [
          { label: word("answered"), data: points, showLine: true, borderColor: "#1b6e3a", backgroundColor: "#1b6e3a" },
          { label: word("calibrated"), data: [{ x: 0, y: 0 }, { x: 100, y: 100 }], showLine: true, borderColor: "#999", borderDash: [4, 4], pointRadius: 0 },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { min: 0, max: 100, title: { display: true, text: word("predicted") } },
          y: { min: 0, max: 100, title: { display: true, text: word("answered") } },
        },
      },
    });
  }

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
          label: word("requests"),
          data: series.map(function (d) { return d.requests; }),
          backgroundColor: "#9ec5e8",
          yAxisID: "count",
          order: 1, // drawn first: the line's points stay visible over a tall bar
        },
        {
          type: "line",
          label: word("reached"),
          data: series.map(function (d) {
            return d.contact_rate === null ? null : Math.round(d.contact_rate * 1000) / 10;
          }),
          borderColor: "#1b6e3a",
          backgroundColor: "#1b6e3a",
          yAxisID: "rate",
          order: 0,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      // Numbers as the page's language writes them ("1.234" in Danish), not the browser's.
      locale: document.documentElement.lang || undefined,
      // The legend in the datasets' order (their drawing order puts the line first).
      plugins: { legend: { labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } } } },
      scales: {
        // Requests are whole: no "0.2" steps on a quiet day's axis.
        count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
        rate: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
      },
    },
  });
});
