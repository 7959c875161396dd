/* plusresilient-chart: a Chart.js chart drawn from the table beside it.
 *
 * The table is the data. The page works without JavaScript, screen readers
 * read the table, and the chart cannot say anything the table does not.
 *
 *   <figure class="plusresilient-chart" data-module="plusresilient-chart"
 *           data-module-kind="stacked-bar|bar|line" data-chart="...">
 *     <figcaption>...</figcaption>
 *     <canvas role="img" aria-label="..." hidden></canvas>
 *     <table>
 *       <thead><tr><th>...</th>
 *         <th data-series="good" data-band="good" data-axis="count"
 *             data-axis-label="Datasets" data-axis-max="100">Good</th>...
 *       <tbody><tr><th scope="row">Italy</th>
 *         <td data-series="good" data-value="3">3</td>...
 *
 * Each head cell with data-series is one series; each body row is one
 * category, named by its row header. data-axis groups series on one axis
 * (its title from data-axis-label, its top from data-axis-max); data-band
 * takes the band's colour from the CSS custom property
 * --plusresilient-band-<band>. Every text comes from the page, already
 * translated.
 *
 * Once drawn (animations finished) the figure gets data-rendered="true"; if
 * anything fails, data-rendered="error", the canvas stays hidden and the
 * table is all there is.
 */
ckan.module("plusresilient-chart", function () {
  "use strict";

  var BAR_HEIGHT = 28;       // px per category of a horizontal bar chart
  var CHART_PADDING = 90;    // px for the axis and the legend
  var MIN_HEIGHT = 160;
  var LINE_ASPECT_RATIO = 2;
  // Lines differ by dash and point shape as well as by colour.
  var DASHES = [[], [6, 4], [2, 3], [10, 4, 2, 4], [1, 4]];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot"];

  function reducedMotion() {
    return Boolean(window.matchMedia &&
                   window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function cssValue(element, name, fallback) {
    var value = window.getComputedStyle(element).getPropertyValue(name);
    return value && value.trim() ? value.trim() : fallback;
  }

  function readTable(table) {
    var heads = table.querySelectorAll("thead th[data-series]");
    var rows = table.querySelectorAll("tbody tr");
    var series = [];
    var labels = [];
    var i, j;
    for (i = 0; i < heads.length; i += 1) {
      series.push({
        key: heads[i].getAttribute("data-series"),
        label: heads[i].textContent.trim(),
        band: heads[i].getAttribute("data-band"),
        axis: heads[i].getAttribute("data-axis") || "value",
        axisLabel: heads[i].getAttribute("data-axis-label") || "",
        axisMax: parseFloat(heads[i].getAttribute("data-axis-max")),
        values: []
      });
    }
    for (i = 0; i < rows.length; i += 1) {
      var header = rows[i].querySelector("th");
      labels.push(header ? header.textContent.trim() : "");
      for (j = 0; j < series.length; j += 1) {
        var cell = rows[i].querySelector('td[data-series="' + series[j].key + '"]');
        var value = cell ? parseFloat(cell.getAttribute("data-value")) : NaN;
        series[j].values.push(isNaN(value) ? null : value);
      }
    }
    if (!series.length || !labels.length) {
      throw new Error("the table has no series or no rows");
    }
    return { labels: labels, series: series };
  }

  // The axes in order of first use: the first on the left (or bottom).
  function axesOf(series) {
    var axes = [];
    var seen = {};
    series.forEach(function (item) {
      if (!seen[item.axis]) {
        seen[item.axis] = { id: item.axis, label: item.axisLabel, max: item.axisMax };
        axes.push(seen[item.axis]);
      } else if (!seen[item.axis].label) {
        seen[item.axis].label = item.axisLabel;
      }
    });
    return axes;
  }

  function axisOptions(axis, stacked) {
    var options = {
      beginAtZero: true,
      stacked: stacked,
      title: { display: Boolean(axis.label), text: axis.label },
      ticks: { precision: 0 }
    };
    if (!isNaN(axis.max)) {
      options.max = axis.max;
    }
    return options;
  }

  function colourOf(figure, item) {
    if (item.band) {
      return cssValue(figure, "--plusresilient-band-" + item.band, "#6c757d");
    }
    return cssValue(figure, "--plusresilient-chart-series", "#2166ac");
  }

  function barConfig(figure, data, stacked) {
    var axis = axesOf(data.series)[0];
    var scales = { x: axisOptions(axis, stacked), y: { stacked: stacked } };
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (item) {
          var colour = colourOf(figure, item);
          return { label: item.label, data: item.values, backgroundColor: colour,
                   borderColor: colour, borderWidth: 0 };
        })
      },
      options: {
        indexAxis: "y",
        scales: scales,
        plugins: { legend: { display: data.series.length > 1, position: "bottom" },
                   tooltip: { mode: stacked ? "index" : "nearest" } }
      },
      height: Math.max(MIN_HEIGHT, data.labels.length * BAR_HEIGHT + CHART_PADDING)
    };
  }

  function lineConfig(figure, data) {
    var axes = axesOf(data.series);
    var scales = { x: {} };
    axes.forEach(function (axis, index) {
      var options = axisOptions(axis, false);
      options.type = "linear";
      options.axis = "y";  // the ids name what is measured, not the direction
      options.position = index === 0 ? "left" : "right";
      // one grid only: the second axis' lines would cross the first's
      options.grid = { drawOnChartArea: index === 0 };
      scales[axis.id] = options;
    });
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (item, index) {
          var colour = colourOf(figure, item);
          var first = item.axis === axes[0].id;
          return { label: item.label, data: item.values, yAxisID: item.axis,
                   borderColor: colour, backgroundColor: colour,
                   borderWidth: first ? 2 : 3,
                   borderDash: DASHES[index % DASHES.length],
                   pointStyle: POINTS[index % POINTS.length],
                   pointRadius: data.labels.length > 30 ? 2 : 4,
                   spanGaps: true, tension: 0 };
        })
      },
      options: {
        scales: scales,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } }
      },
      height: null
    };
  }

  function configFor(kind, figure, data) {
    if (kind === "stacked-bar") {
      return barConfig(figure, data, true);
    }
    if (kind === "bar") {
      return barConfig(figure, data, false);
    }
    if (kind === "line") {
      return lineConfig(figure, data);
    }
    throw new Error("unknown chart kind " + kind);
  }

  return {
    options: { kind: "bar" },

    initialize: function () {
      var figure = this.el[0];
      var canvas = figure.querySelector("canvas");
      try {
        if (typeof window.Chart !== "function") {
          throw new Error("Chart.js is not loaded");
        }
        var config = configFor(this.options.kind, figure, readTable(figure.querySelector("table")));
        canvas.hidden = false;
        var width = canvas.parentNode.clientWidth || 600;
        config.options.responsive = true;
        config.options.maintainAspectRatio = true;
        config.options.aspectRatio = config.height ? width / config.height : LINE_ASPECT_RATIO;
        config.options.animation = reducedMotion() ? false : { duration: 400 };
        config.plugins = [{
          id: "plusresilientRendered",
          // after the last frame of the animation, or at once without one
          afterRender: function () { figure.setAttribute("data-rendered", "true"); }
        }];
        delete config.height;
        this.chart = new window.Chart(canvas, config);
      } catch (error) {
        if (canvas) {
          canvas.hidden = true;
        }
        figure.setAttribute("data-rendered", "error");
        if (window.console) {
          window.console.warn("plusresilient-chart: the chart could not be drawn", error);
        }
      }
    },

    teardown: function () {
      if (this.chart) {
        this.chart.destroy();
      }
    }
  };
});
