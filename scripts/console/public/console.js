// The simulated platform's console page: renders /api/stream (Server-Sent Events) and sends
// operations with POST /api/operations. Plain browser JavaScript; Chart.js comes from /vendor.
'use strict';

(function () {
  var COLORS = ['#1776bf', '#e8833a', '#2e9e44', '#c62828', '#8e44ad', '#00897b', '#6d4c41', '#546e7a'];
  var chart;
  var lastState;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function time(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
  }

  function fill(id, rows) {
    var body = document.querySelector('#' + id + ' tbody');
    body.replaceChildren.apply(
      body,
      rows.map(function (cells) {
        var tr = el('tr');
        cells.forEach(function (c) {
          tr.appendChild(Array.isArray(c) ? el('td', c[0], c[1]) : el('td', c));
        });
        return tr;
      }),
    );
  }

  function renderChart(points) {
    var keys = [];
    var times = [];
    points.forEach(function (p) {
      var k = p.deviceId + ' ' + p.key + (p.unit ? ' (' + p.unit + ')' : '');
      if (keys.indexOf(k) < 0) keys.push(k);
      if (times.indexOf(p.time) < 0) times.push(p.time);
    });
    times.sort();
    var index = {};
    times.forEach(function (t, i) {
      index[t] = i;
    });
    var datasets = keys.map(function (k, i) {
      var data = times.map(function () {
        return null;
      });
      points.forEach(function (p) {
        if (p.deviceId + ' ' + p.key + (p.unit ? ' (' + p.unit + ')' : '') === k) data[index[p.time]] = p.value;
      });
      return {
        label: k,
        data: data,
        borderColor: COLORS[i % COLORS.length],
        backgroundColor: COLORS[i % COLORS.length],
        spanGaps: true,
        pointRadius: 2,
        tension: 0.2,
      };
    });
    var labels = times.map(time);
    if (!chart) {
      chart = new window.Chart(document.getElementById('chart'), {
        type: 'line',
        data: { labels: labels, datasets: datasets },
        options: {
          animation: false,
          maintainAspectRatio: false,
          interaction: { mode: 'index', intersect: false },
          scales: { x: { ticks: { maxTicksLimit: 10 } } },
        },
      });
    } else {
      chart.data.labels = labels;
      chart.data.datasets = datasets;
      chart.update('none');
    }
    document.getElementById('chart').setAttribute('data-points', String(points.length));
  }

  function render(s) {
    lastState = s;
    document.getElementById('tenant').textContent = 'tenant ' + s.tenant;
    fill(
      'devices',
      s.devices.map(function (d) {
        return [
          d.id,
          d.name,
          d.type,
          d.connected ? ['connected', 'connected'] : ['disconnected', 'disconnected'],
          d.supportedOperations.join(', '),
          time(d.lastMessage),
        ];
      }),
    );
    var select = document.getElementById('op-device');
    var chosen = select.value;
    select.replaceChildren.apply(
      select,
      s.devices.map(function (d) {
        var o = el('option', d.id);
        o.value = d.id;
        return o;
      }),
    );
    if (chosen) select.value = chosen;
    fill(
      'operations',
      s.operations
        .slice()
        .reverse()
        .map(function (o) {
          return [o.id, o.deviceId, o.fragment, [o.status, 'status-' + o.status], o.failureReason || '', time(o.createdAt)];
        }),
    );
    fill(
      'alarms',
      s.alarms
        .slice()
        .reverse()
        .map(function (a) {
          return [
            a.deviceId,
            a.type,
            [a.severity, 'severity-' + a.severity],
            [a.status, 'status-' + a.status],
            a.count,
            a.text,
            time(a.time),
          ];
        }),
    );
    fill(
      'events',
      s.events
        .slice()
        .reverse()
        .map(function (e) {
          return [e.deviceId, e.type, e.text, time(e.time)];
        }),
    );
    renderChart(s.points);
  }

  function sendOperation(fragment, params) {
    var error = document.getElementById('op-error');
    error.textContent = '';
    var deviceId = document.getElementById('op-device').value;
    return fetch('api/operations', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ deviceId: deviceId, fragment: fragment, params: params }),
    })
      .then(function (r) {
        return r.json().then(function (b) {
          if (!r.ok) throw new Error(b.error || 'HTTP ' + r.status);
        });
      })
      .catch(function (e) {
        error.textContent = e.message;
      });
  }

  document.querySelectorAll('button.quick').forEach(function (b) {
    b.addEventListener('click', function () {
      var fragment = b.getAttribute('data-fragment');
      var params = fragment === 'c8y_Message' ? { text: document.getElementById('op-message').value } : {};
      sendOperation(fragment, params);
    });
  });
  document.getElementById('send-operation').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = document.getElementById('op-params').value.trim();
    var params = {};
    try {
      params = text ? JSON.parse(text) : {};
    } catch (err) {
      document.getElementById('op-error').textContent = 'parameters are not JSON: ' + err.message;
      return;
    }
    sendOperation(document.getElementById('op-fragment').value.trim(), params);
  });

  var live = document.getElementById('live');
  var source = new EventSource('api/stream');
  source.onmessage = function (m) {
    live.textContent = 'live';
    live.className = 'live';
    render(JSON.parse(m.data));
  };
  source.onerror = function () {
    live.textContent = 'offline';
    live.className = 'live off';
  };
  window.platformConsole = {
    state: function () {
      return lastState;
    },
  };
})();
