/* Live updates of the dashboard pages: a WebSocket pushes call changes; when it is down the page
 * polls the JSON API instead. The server-rendered HTML already holds every number, so this file
 * only keeps it fresh in place (no reload) and never is the only way to see something.
 *
 * - WebSocket (data-socket) with reconnect and exponential backoff (1 s doubling to 8 s, with
 *   jitter; at once when the browser comes back online or the tab is shown again); the header
 *   shows the connection state.
 * - The pushed messages carry what the page shows: call rows (call.updated, call.ended) and one
 *   campaign's absolute live counts (counters), each read at `as_of`. The page reads
 *   /dashboard/realtime once when the socket connects (every call row, and the live counts per
 *   campaign) and then applies the messages on top, keeping the newest reading of each call and
 *   campaign whatever order they arrive in; a page shows the sum over its campaigns.
 * - Every pushed message carries a per-group sequence number; a gap (channels-redis drops
 *   messages when a channel is full) triggers a resync from /dashboard/realtime.
 * - While the socket is down: /dashboard/realtime every LIVE_POLL_SECONDS (5 s by default, the
 *   body's data-live-poll-seconds); the overview refreshes its cards from /dashboard/overview
 *   every 30 s in any case.
 * - The campaign page's figures ([data-metric="<glossary field>"]) follow new calls: a call that
 *   ends refetches the page's metrics for the page's own period (data-metrics-url carries it:
 *   days=N while it ends today, else from/to), at most once a second, so the numbers stay
 *   exactly the API's for that period; a dotted name reads a nested figure
 *   (data-metric="latency.llm_ms.p95", data-format="ms").
 * - Durations of calls in progress tick every second; export jobs show their progress.
 */
(function () {
  "use strict";

  // On a narrow screen a daily chart scrolls sideways: start at its end, today.
  document.querySelectorAll("[data-scroll-end]").forEach(function (wrap) {
    wrap.scrollLeft = wrap.scrollWidth;
  });

  var root = document.querySelector("[data-live-page]");
  if (!root) return;

  var page = root.getAttribute("data-live-page");
  var campaignId = root.getAttribute("data-campaign-id");
  var timeZone = document.body.getAttribute("data-time-zone") || undefined;
  var stateBadge = document.getElementById("live-state");
  var POLL_SECONDS = Number(document.body.getAttribute("data-live-poll-seconds")) || 5;
  var REALTIME_POLL_MS = POLL_SECONDS * 1000;
  var OVERVIEW_POLL_MS = 30000;
  var EXPORT_POLL_MS = 2000;
  var PING_MS = 25000;
  var BACKOFF_MIN_MS = 1000;
  // Kept short: the fault drill saw a page stay on polling 34 s after Redis was back with 30 s.
  var BACKOFF_MAX_MS = 8000;

  // ---- formatting, the same as the server's template filters --------------------------------
  var countFormat = new Intl.NumberFormat("en-IN", { maximumFractionDigits: 0 });
  var percentFormat = new Intl.NumberFormat("en-IN", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  var timeFormat = new Intl.DateTimeFormat("en-IN", {
    timeZone: timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });

  // As the server's `indian:2` filter: ₹1,23,456.78.
  var rupeeFormat = new Intl.NumberFormat("en-IN", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });

  function format(value, kind) {
    if (value === null || value === undefined || value === "") return "—";
    if (kind === "percent") return percentFormat.format(Number(value)) + "%";
    if (kind === "duration") return durationText(Number(value));
    if (kind === "rupees") return "₹" + rupeeFormat.format(Number(value));
    if (kind === "ms") return countFormat.format(Number(value)) + " ms";
    return countFormat.format(Number(value));
  }

  // As the server's `duration` filter: 45 s, 2 min 05 s, 1 h 02 min.
  function durationText(value) {
    var seconds = Math.round(value);
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    if (hours) return hours + " h " + String(minutes).padStart(2, "0") + " min";
    if (minutes) return minutes + " min " + String(rest).padStart(2, "0") + " s";
    return rest + " s";
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + String(rest).padStart(2, "0");
  }

  function words(value) {
    if (!value) return "—";
    var text = String(value).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function setText(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  // A rate over nothing, as the server's `rate_of` filter writes it: "—" for the eye and words
  // for screen readers.
  var NO_RATE_WORDS = "no rate yet";

  function setNoRate(element) {
    if (element.textContent === "—" + NO_RATE_WORDS) return;
    var dash = document.createElement("span");
    dash.setAttribute("aria-hidden", "true");
    dash.textContent = "—";
    var spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = NO_RATE_WORDS;
    element.replaceChildren(dash, spoken);
  }

  // A figure with data-unless="<count>" has no value while that count is 0 in the same values
  // (a rate over no calls: the API says 0.0, the page says there is no rate yet).
  function show(element, values, value) {
    var unless = element.getAttribute("data-unless");
    if (unless && values && unless in values && Number(values[unless]) === 0) {
      setNoRate(element);
      return;
    }
    setText(element, format(value, element.getAttribute("data-format")));
  }

  function markUpdated(when) {
    var stamp = when ? new Date(when) : new Date();
    document.querySelectorAll("[data-last-update]").forEach(function (element) {
      element.setAttribute("datetime", stamp.toISOString());
      setText(element, timeFormat.format(stamp));
    });
  }

  function setFields(values, prefix) {
    Object.keys(values).forEach(function (key) {
      var value = values[key];
      var name = prefix ? prefix + "." + key : key;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        setFields(value, name);
        return;
      }
      root.querySelectorAll('[data-field="' + name + '"]').forEach(function (element) {
        show(element, values, value);
      });
    });
  }

  // ---- active calls table -------------------------------------------------------------------
  var callsTable = root.querySelector("[data-active-calls]");
  var callsBody = callsTable && callsTable.tBodies[0];
  var showCampaign = callsTable && callsTable.tHead.rows[0].cells.length === 5;
  // Durations tick from the moment a value arrived, so the browser's clock never matters.
  var durations = new Map();

  function cell(row, label, column, className) {
    var td = row.insertCell(-1);
    td.setAttribute("data-label", label);
    if (column) td.setAttribute("data-col", column);
    if (className) td.className = className;
    return td;
  }

  function link(href, text) {
    var anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = text;
    return anchor;
  }

  function renderCall(row, call) {
    var statusBadge = row.querySelector('[data-col="status"] .badge');
    setText(row.querySelector('[data-col="stage"]'), words(call.stage));
    if (statusBadge) {
      statusBadge.className = "badge badge-" + call.status;
      setText(statusBadge, words(call.status));
    }
    durations.set(call.call_sid, { seconds: call.duration_seconds || 0, at: Date.now() });
    setText(row.querySelector('[data-col="duration"]'), clock(call.duration_seconds || 0));
  }

  function buildCallRow(call) {
    var row = document.createElement("tr");
    row.setAttribute("data-call-sid", call.call_sid);
    cell(row, "Lead").appendChild(
      link("/calls/" + encodeURIComponent(call.call_sid) + "/", call.lead_name)
    );
    if (showCampaign) {
      cell(row, "Campaign").appendChild(link("/campaigns/" + call.campaign_id + "/", call.campaign_name));
    }
    cell(row, "Stage", "stage");
    var badge = document.createElement("span");
    cell(row, "Status", "status").appendChild(badge);
    badge.className = "badge";
    cell(row, "Duration", "duration", "num");
    return row;
  }

  function belongsHere(call) {
    return !campaignId || String(call.campaign_id) === String(campaignId);
  }

  function toggleEmpty() {
    var empty = callsBody.querySelector("[data-empty]");
    if (empty) empty.hidden = callsBody.querySelectorAll("tr[data-call-sid]").length > 0;
  }

  function findRow(callSid) {
    return Array.prototype.find.call(callsBody.querySelectorAll("tr[data-call-sid]"), function (row) {
      return row.getAttribute("data-call-sid") === callSid;
    });
  }

  function upsertCall(call) {
    if (!callsBody || !belongsHere(call)) return;
    var row = findRow(call.call_sid);
    if (!row) {
      row = buildCallRow(call);
      row.classList.add("arrived");
      callsBody.insertBefore(row, callsBody.querySelector("[data-empty]"));
    }
    renderCall(row, call);
    toggleEmpty();
  }

  function removeCall(callSid) {
    if (!callsBody) return;
    var row = findRow(callSid);
    if (row) row.remove();
    durations.delete(callSid);
    toggleEmpty();
  }

  // ---- what the page knows, and when it was read ---------------------------------------------
  // Server times (ms) of the newest reading of each call, of each campaign's live counts, and of
  // the last realtime answer; a reading older than the one held changes nothing.
  var IN_PROGRESS = ["initiated", "ringing", "in_progress"];
  var callReadings = new Map(); // call_sid -> when its row was last read
  var endedCalls = new Map(); // call_sid -> when it was seen ended: it never comes back
  var realtimeAt = 0;

  function readingTime(value) {
    var time = Date.parse(value);
    return isNaN(time) ? 0 : time;
  }

  function heldReading(callSid) {
    return callReadings.has(callSid) ? callReadings.get(callSid) : realtimeAt;
  }

  function callMessage(call, at, ended) {
    if (endedCalls.has(call.call_sid)) return;
    if (ended) {
      // An end is final, whatever the page read before or reads after.
      endedCalls.set(call.call_sid, at);
      callReadings.delete(call.call_sid);
      removeCall(call.call_sid);
      return;
    }
    // Older than what the row shows (messages from several processes arrive in any order): a
    // "queued" read before the "initiated" on the page must not take the row away.
    if (at < heldReading(call.call_sid)) return;
    callReadings.set(call.call_sid, at);
    if (IN_PROGRESS.indexOf(call.status) === -1) removeCall(call.call_sid);
    else upsertCall(call);
  }

  // The calls in progress at `at`: calls read later by a message keep what that message said.
  function replaceCalls(calls, at) {
    realtimeAt = Math.max(realtimeAt, at);
    if (!callsBody) return;
    var wanted = new Set();
    calls.filter(belongsHere).forEach(function (call) {
      if (endedCalls.has(call.call_sid)) return;
      wanted.add(call.call_sid);
      if (heldReading(call.call_sid) > at) return;
      callReadings.set(call.call_sid, at);
      upsertCall(call);
    });
    callsBody.querySelectorAll("tr[data-call-sid]").forEach(function (row) {
      var callSid = row.getAttribute("data-call-sid");
      if (!wanted.has(callSid) && heldReading(callSid) <= at) {
        callReadings.delete(callSid);
        removeCall(callSid);
      }
    });
    // Readings older than this answer can no longer win against it: forget them.
    [callReadings, endedCalls].forEach(function (readings) {
      readings.forEach(function (when, callSid) {
        if (when < realtimeAt) readings.delete(callSid);
      });
    });
  }

  // ---- live counts: each campaign's newest reading; the page shows the sum of its campaigns ----
  var LIVE_FIELDS = ["calls_in_progress", "calls_queued"];
  var campaignCounts = new Map(); // campaign id -> {at, calls_in_progress, calls_queued}
  var countsKnown = false; // shown once a realtime answer gave every campaign's counts

  function setCampaignCounts(id, counts, at) {
    var held = campaignCounts.get(String(id));
    if (at < (held ? held.at : realtimeAt)) return false;
    campaignCounts.set(String(id), {
      at: at,
      calls_in_progress: counts.calls_in_progress,
      calls_queued: counts.calls_queued,
    });
    return true;
  }

  function showCounts() {
    if (!countsKnown) return;
    var totals = { calls_in_progress: 0, calls_queued: 0 };
    campaignCounts.forEach(function (counts, id) {
      if (campaignId && id !== String(campaignId)) return;
      LIVE_FIELDS.forEach(function (name) {
        totals[name] += counts[name];
      });
    });
    setFields(totals);
  }

  // Campaigns the answer leaves out had nothing in progress or queued when it was read.
  function replaceCounts(rows, at) {
    var listed = new Set();
    rows.forEach(function (row) {
      listed.add(String(row.campaign_id));
      setCampaignCounts(row.campaign_id, row, at);
    });
    campaignCounts.forEach(function (counts, id) {
      if (!listed.has(id)) setCampaignCounts(id, { calls_in_progress: 0, calls_queued: 0 }, at);
    });
    countsKnown = true;
    showCounts();
  }

  if (callsBody) {
    callsBody.querySelectorAll("tr[data-call-sid]").forEach(function (row) {
      var td = row.querySelector('[data-col="duration"]');
      durations.set(row.getAttribute("data-call-sid"), {
        seconds: Number(td.getAttribute("data-seconds")) || 0,
        at: Date.now(),
      });
    });
    window.setInterval(function () {
      durations.forEach(function (value, callSid) {
        var row = findRow(callSid);
        if (row) {
          var elapsed = (Date.now() - value.at) / 1000;
          setText(row.querySelector('[data-col="duration"]'), clock(value.seconds + elapsed));
        }
      });
    }, 1000);
  }

  // ---- JSON API ------------------------------------------------------------------------------
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (!response.ok) throw new Error(url + " answered " + response.status);
        return response.json();
      }
    );
  }

  var realtimeUrl = root.getAttribute("data-realtime-url");
  var resyncing = null;
  var resyncAgain = false;

  function resync() {
    if (!realtimeUrl) return Promise.resolve();
    // One request at a time; a resync asked for meanwhile runs once that one is answered, since
    // the answer in flight may predate what prompted it.
    if (resyncing) {
      resyncAgain = true;
      return resyncing;
    }
    // Every visible call comes back; a campaign page keeps its own (belongsHere).
    resyncing = getJSON(realtimeUrl)
      .then(function (data) {
        var at = readingTime(data.timestamp);
        replaceCounts(data.campaigns || [], at);
        replaceCalls(data.active_calls || [], at);
        markUpdated(data.timestamp);
      })
      .catch(function () {
        /* the next poll or reconnect retries; the page keeps what it shows */
      })
      .then(function () {
        resyncing = null;
        if (resyncAgain) {
          resyncAgain = false;
          resync();
        }
      });
    return resyncing;
  }

  var overviewUrl = root.getAttribute("data-overview-url");

  // The same rules as pages.overall_health, so the banner of a page left open stays true.
  var CORE_COMPONENTS = ["database", "redis", "worker"];
  var HEALTH_LABELS = {
    unhealthy: "Service disrupted: live calls or exports may not work",
    degraded: "Degraded: an external service is not answering",
    unknown: "Status not checked yet",
    healthy: "All systems operational",
  };

  function renderHealth(components) {
    var banner = root.querySelector("[data-health]");
    if (!banner || !components) return;
    var names = Object.keys(components);
    var status = "healthy";
    if (CORE_COMPONENTS.some(function (name) { return components[name] === "unhealthy"; })) {
      status = "unhealthy";
    } else if (names.some(function (name) { return components[name] === "unhealthy"; })) {
      status = "degraded";
    } else if (names.every(function (name) { return components[name] === "unknown"; })) {
      status = "unknown";
    }
    banner.className = "health health-" + status;
    setText(banner.querySelector("[data-health-label]"), HEALTH_LABELS[status]);
    names.forEach(function (name) {
      var item = banner.querySelector('[data-component="' + name + '"]');
      if (!item) return;
      item.className = "component component-" + components[name];
      setText(item.querySelector(".component-status"), words(components[name]));
    });
  }

  function refreshOverview() {
    return getJSON(overviewUrl)
      .then(function (data) {
        setFields({ system: data.system });
        renderHealth(data.system && data.system.components);
        (data.recent_campaigns || []).forEach(function (campaign) {
          var row = root.querySelector('[data-recent-campaigns] tr[data-campaign-id="' + campaign.id + '"]');
          if (!row) return;
          row.querySelectorAll("[data-col]").forEach(function (td) {
            var key = td.getAttribute("data-col");
            if (key in campaign) show(td, campaign, campaign[key]);
          });
        });
        markUpdated(data.generated_at);
      })
      .catch(function () {});
  }

  // ---- the campaign page's figures, for its period -------------------------------------------
  var metricsUrl = root.getAttribute("data-metrics-url");
  var METRICS_MIN_GAP_MS = 1000;
  var metricsInFlight = false;
  var metricsAgain = false;
  var metricsLastAt = 0;
  var metricsTimer = null;

  // A figure by its data-metric name; a dotted name reads a nested one (latency.stt_ms.p95).
  function metricValue(values, name) {
    return name.split(".").reduce(function (object, key) {
      return object !== null && typeof object === "object" && key in object ? object[key] : undefined;
    }, values);
  }

  // The live counts follow the socket and realtime (newest reading wins), not this document.
  function setMetrics(values) {
    root.querySelectorAll("[data-metric]").forEach(function (element) {
      var name = element.getAttribute("data-metric");
      var value = metricValue(values, name);
      if (value !== undefined && LIVE_FIELDS.indexOf(name) === -1) show(element, values, value);
    });
  }

  // At once for the first change, then at most once a second; a change seen while a request is
  // out asks again once it is answered (the answer may predate the change).
  function refreshMetrics() {
    if (!metricsUrl) return;
    if (metricsInFlight) {
      metricsAgain = true;
      return;
    }
    if (metricsTimer) return;
    var wait = Math.max(0, metricsLastAt + METRICS_MIN_GAP_MS - Date.now());
    metricsTimer = window.setTimeout(function () {
      metricsTimer = null;
      metricsInFlight = true;
      metricsLastAt = Date.now();
      getJSON(metricsUrl)
        .then(setMetrics)
        .catch(function () {
          /* the next change or reconnect asks again; the page keeps what it shows */
        })
        .then(function () {
          metricsInFlight = false;
          if (metricsAgain) {
            metricsAgain = false;
            refreshMetrics();
          }
        });
    }, wait);
  }

  // ---- export jobs ---------------------------------------------------------------------------
  function renderJob(job) {
    var row = root.querySelector('tr[data-export-job="' + job.id + '"]');
    if (!row) return;
    var active = job.status === "pending" || job.status === "running";
    row.setAttribute("data-status", job.status);
    var badge = row.querySelector('[data-col="status-label"]');
    if (badge) {
      badge.className = "badge badge-" + job.status;
      setText(badge, words(job.status));
    }
    var bar = row.querySelector("progress");
    var percentText = row.querySelector('[data-col="progress"]');
    if (bar) {
      bar.value = job.progress || 0;
      bar.hidden = !active;
    }
    if (percentText) {
      setText(percentText, (job.progress || 0) + "%");
      percentText.hidden = !active;
    }
    setText(row.querySelector('[data-col="rows_written"]'), format(job.rows_written, "count"));
    if (job.status === "succeeded" && job.file_size === undefined) {
      // A pushed message is brief; the job's own document has its size and download address.
      getJSON("/exports/jobs/" + job.id).then(renderJob).catch(function () {});
    }
    if (job.file_size !== undefined) {
      setText(row.querySelector('[data-col="file_size"]'), job.file_size ? sizeText(job.file_size) : "—");
    }
    var download = row.querySelector('[data-col="download"]');
    if (download && job.status === "succeeded" && !download.querySelector("a")) {
      // A pushed progress message carries no URL; the download address is the contract's.
      download.textContent = "";
      var anchor = link(job.download_url || "/exports/jobs/" + job.id + "/download", "Download");
      anchor.setAttribute("download", "");
      download.appendChild(anchor);
    } else if (download && (job.status === "failed" || job.status === "expired")) {
      setText(download, job.status === "expired" ? "Expired" : "—");
    }
  }

  function sizeText(bytes) {
    var units = ["bytes", "KB", "MB", "GB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit ? value.toFixed(1) : String(value)) + "\u00a0" + units[unit]; // as filesizeformat
  }

  function pollExports() {
    var pending = root.querySelectorAll(
      'tr[data-export-job][data-status="pending"], tr[data-export-job][data-status="running"]'
    );
    pending.forEach(function (row) {
      getJSON("/exports/jobs/" + row.getAttribute("data-export-job"))
        .then(renderJob)
        .catch(function () {});
    });
  }

  if (page === "exports") window.setInterval(pollExports, EXPORT_POLL_MS);

  // ---- the socket ----------------------------------------------------------------------------
  var socketPath = root.getAttribute("data-socket");
  var socket = null;
  var live = false;
  var attempts = 0;
  var lastSeq = new Map();
  var pollTimer = null;
  var pingTimer = null;
  var reconnectTimer = null;

  function showState(state) {
    if (!stateBadge) return;
    var text = {
      live: "Live",
      connecting: "Connecting…",
      polling: "Offline: refreshing every " + POLL_SECONDS + " s",
    }[state];
    stateBadge.hidden = false;
    stateBadge.setAttribute("data-state", state);
    setText(stateBadge, text);
  }

  function poll() {
    resync();
    refreshMetrics(); // no socket to say when a call ends: the figures are polled too
  }

  function startPolling() {
    if (pollTimer || !realtimeUrl) return;
    poll();
    pollTimer = window.setInterval(poll, REALTIME_POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function checkSequence(message) {
    if (typeof message.seq !== "number" || message.seq <= 0) return;
    var group = message.group || "socket";
    var previous = lastSeq.get(group);
    lastSeq.set(group, message.seq);
    if (previous !== undefined && message.seq > previous + 1) {
      // A dropped message may have been a call's end: the figures are fetched again too.
      resync();
      refreshMetrics();
    }
  }

  function handle(message) {
    if (message.type === "hello") {
      live = true;
      attempts = 0;
      lastSeq.clear();
      showState("live");
      stopPolling();
      // Whatever happened while the socket was down is picked up once.
      resync();
      refreshMetrics();
      return;
    }
    checkSequence(message);
    var at = readingTime(message.as_of);
    if (message.type === "call.updated" && message.call) callMessage(message.call, at, false);
    else if (message.type === "call.ended" && message.call) {
      callMessage(message.call, at, true);
      if (belongsHere(message.call)) refreshMetrics();
    } else if (message.type === "counters") {
      // One campaign's counts, absolute: applied as they are, nothing fetched.
      if (setCampaignCounts(message.campaign_id, message, at)) showCounts();
    } else if (message.type === "export.progress" && message.job) renderJob(message.job);
    if (message.type !== "pong") markUpdated();
  }

  function connect() {
    if (!socketPath || !("WebSocket" in window)) {
      showState("polling");
      startPolling();
      return;
    }
    showState(live ? "live" : "connecting");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + socketPath);
    socket.addEventListener("message", function (event) {
      try {
        handle(JSON.parse(event.data));
      } catch (error) {
        /* a malformed message is ignored; the next resync corrects the page */
      }
    });
    socket.addEventListener("close", function () {
      socket = null;
      live = false;
      if (pingTimer) window.clearInterval(pingTimer);
      pingTimer = null;
      showState("polling");
      startPolling();
      scheduleReconnect();
    });
    socket.addEventListener("open", function () {
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
      }, PING_MS);
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempts));
    delay = delay / 2 + Math.random() * (delay / 2);
    attempts += 1;
    reconnectTimer = window.setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (socket || !reconnectTimer) return; // connected, connecting, or never started
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    attempts = 0;
    connect();
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });
  if (overviewUrl) window.setInterval(refreshOverview, OVERVIEW_POLL_MS);
  connect();

  // For people debugging in the console (and the browser tests): the state of this page.
  window.voiceagentLive = {
    get live() {
      return live;
    },
    get polling() {
      return pollTimer !== null;
    },
    get socket() {
      return socket;
    },
    resync: resync,
    refreshMetrics: metricsUrl ? refreshMetrics : null,
    refreshOverview: overviewUrl ? refreshOverview : null,
  };
})();
