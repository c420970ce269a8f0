// The Keyfob dashboard. It talks only to Keyfob (/auth/*, /api/*) with the session cookie and the X-CSRF
// header; it never receives a token, so there is none here to steal.

const CONNECT_ERRORS = {
  access_denied: 'You declined access at the provider. Nothing was connected.',
  no_vehicles: 'The provider found no vehicle on that account. Nothing was connected.',
  code_rejected: 'The provider rejected the sign-in (it may have expired). Please connect again.',
  provider_unavailable: 'The vehicle provider is not answering right now. Please try again in a moment.',
  sign_in_refused: 'The sign-in answer could not be trusted, so you are not signed in. Please try again.',
  identity_provider_unavailable: 'Your company sign-in is not answering right now. Please try again in a moment.',
  sign_in_required: 'Please sign in before connecting a car.',
};

const messages = document.getElementById('messages');

function say(text, kind = 'info') {
  const item = document.createElement('p');
  item.className = `message ${kind}`;
  item.textContent = text;
  messages.replaceChildren(item);
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'X-CSRF': '1', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  return {
    status: response.status,
    data,
    dataAge: response.headers.get('sc-data-age'),
    retryAfter: response.headers.get('retry-after'),
  };
}

/** A sentence for an error answer, or null when the answer is fine. */
function explain(answer) {
  if (answer.status < 400) return null;
  const { error, missingScopes, description, message } = answer.data;
  if (answer.status === 401 && error === 'reauth_required') return 'This vehicle needs to be connected again.';
  if (answer.status === 401) return 'Your session has ended. Please sign in again.';
  if (error === 'insufficient_scope')
    return `Permission missing: ${(missingScopes || []).join(', ')}. Reconnect the vehicle and allow it.`;
  if (answer.status === 403) return description || 'The provider refused this request: a permission is missing.';
  if (answer.status === 429)
    return `Too many requests for this vehicle. Try again in ${answer.retryAfter || 'a few'} seconds.`;
  if (answer.status === 501) return 'Not available on this vehicle.';
  if (error === 'pending_approval') return message;
  if (error === 'not_supported_by_provider') return message;
  return message || description || `Request failed (${answer.status}).`;
}

const km = (value) => `${Math.round(value).toLocaleString()} km`;
const percent = (value) => `${Math.round(value * 100)} %`;

async function show(card, vehicle, path, target, format) {
  const answer = await api('GET', `/api/vehicles/${vehicle.id}${path}`);
  const problem = explain(answer);
  target.textContent = problem ? '—' : format(answer.data);
  if (problem && answer.status !== 501) {
    const notice = card.querySelector('.notice');
    notice.textContent = problem;
    notice.hidden = false;
  }
  if (answer.dataAge) card.querySelector('.age').textContent = `Data from ${new Date(answer.dataAge).toLocaleString()}`;
  return answer;
}

// What a vehicle can do comes from Keyfob (`features`: its provider has the route and its connection allows it),
// so the same card serves every provider.
const can = (vehicle, method, path) => vehicle.features.includes(`${method} ${path}`);
const rangeText = (range) => (range === null || range === undefined ? '' : ` · ${km(range)}`);

async function loadVehicleData(card, vehicle) {
  card.querySelector('.notice').hidden = true;
  if (can(vehicle, 'GET', '/odometer')) {
    await show(card, vehicle, '/odometer', card.querySelector('.odometer'), (d) => km(d.distance));
  }
  if (can(vehicle, 'GET', '/location')) {
    await show(
      card,
      vehicle,
      '/location',
      card.querySelector('.location'),
      (d) => `${d.latitude.toFixed(4)}, ${d.longitude.toFixed(4)}`,
    );
  }
  const energy = card.querySelector('.energy');
  const battery = can(vehicle, 'GET', '/battery')
    ? await show(card, vehicle, '/battery', energy, (d) => `${percent(d.percentRemaining)}${rangeText(d.range)}`)
    : { status: 501 };
  if (battery.status === 501 && can(vehicle, 'GET', '/fuel')) {
    card.querySelector('.energy-label').textContent = 'Fuel';
    await show(card, vehicle, '/fuel', energy, (d) => `${percent(d.percentRemaining)}${rangeText(d.range)}`);
  }
  if (can(vehicle, 'GET', '/security')) {
    await show(card, vehicle, '/security', card.querySelector('.locks'), (d) => (d.isLocked ? 'Locked' : 'Unlocked'));
  }
}

const STATUS_TEXT = {
  pending_approval: 'Waiting for the owner to confirm this car at the carmaker. Data arrives once they do.',
  not_cleared: 'This fleet vehicle is not cleared for data.',
};

function providerName(name) {
  return providers.find((provider) => provider.name === name)?.displayName ?? name;
}

let providers = [];

// --- live updates: Smartcar's webhooks, pushed by Keyfob over one stream ---------------------------------------
// The stream is read with fetch, not EventSource, because fetch can send the X-CSRF header every /api call needs.

const trends = new Map();

function points(series, pick, top, bottom) {
  if (series.length < 2) return '';
  const values = series.map(pick);
  const times = series.map((point) => Date.parse(point.at));
  const [minV, maxV] = [Math.min(...values), Math.max(...values)];
  const [minT, maxT] = [Math.min(...times), Math.max(...times)];
  const x = (t) => (maxT === minT ? 0 : ((t - minT) / (maxT - minT)) * 290 + 5);
  const y = (v) => (maxV === minV ? (top + bottom) / 2 : bottom - ((v - minV) / (maxV - minV)) * (bottom - top));
  return series.map((_, i) => `${x(times[i]).toFixed(1)},${y(values[i]).toFixed(1)}`).join(' ');
}

/** The card's small chart: odometer and battery (or fuel) by the readings' own time, described in words too. */
function drawTrend(card) {
  const data = trends.get(card.dataset.vehicleId);
  if (!data) return;
  const energy = data.battery.length > 0 ? data.battery : data.fuel;
  const energyName = data.battery.length > 0 ? 'Battery' : 'Fuel';
  const figure = card.querySelector('.trend');
  if (data.odometer.length < 2 && energy.length < 2) return;
  figure.hidden = false;
  card.querySelector('.odometer-line').setAttribute(
    'points',
    points(data.odometer, (p) => p.value, 8, 42),
  );
  card.querySelector('.energy-line').setAttribute(
    'points',
    points(energy, (p) => p.value, 50, 84),
  );
  card.querySelector('.energy-key').textContent = energyName;
  const svg = card.querySelector('.chart');
  const title = `Odometer and ${energyName.toLowerCase()} over time`;
  svg.querySelector('title').textContent = title;
  svg.setAttribute('aria-label', title);
  const span = (series, format) =>
    series.length === 0 ? 'no readings' : `${format(series[0].value)} to ${format(series[series.length - 1].value)}`;
  svg.querySelector('desc').textContent =
    `Odometer ${span(data.odometer, (v) => km(v))} over ${data.odometer.length} readings; ` +
    `${energyName.toLowerCase()} ${span(energy, (v) => `${Math.round(v)} %`)}.`;
}

async function loadTrend(card, vehicle) {
  const answer = await api('GET', `/api/vehicles/${vehicle.id}/trends`);
  if (answer.status !== 200) return;
  trends.set(vehicle.id, answer.data);
  drawTrend(card);
}

function flash(element, text) {
  element.textContent = text;
  element.classList.remove('updated');
  void element.offsetWidth;
  element.classList.add('updated');
}

/** A `signals` event: the card's values change in place, and the chart grows. */
function applySignals({ vehicleId, signals }) {
  const card = document.querySelector(`article[data-vehicle-id="${CSS.escape(vehicleId)}"]`);
  if (!card) return;
  const trend = trends.get(vehicleId) ?? { odometer: [], battery: [], fuel: [] };
  for (const { code, value, oemUpdatedAt } of signals) {
    if (code === 'odometer-traveleddistance') {
      flash(card.querySelector('.odometer'), km(value.value));
      trend.odometer.push({ at: oemUpdatedAt, value: value.value });
    } else if (code === 'tractionbattery-stateofcharge' || code === 'internalcombustionengine-fuellevel') {
      card.querySelector('.energy-label').textContent = code.startsWith('traction') ? 'Battery' : 'Fuel';
      flash(card.querySelector('.energy'), `${Math.round(value.value)} %`);
      trend[code.startsWith('traction') ? 'battery' : 'fuel'].push({ at: oemUpdatedAt, value: value.value });
    } else if (code === 'closure-islocked') {
      flash(card.querySelector('.locks'), value.value ? 'Locked' : 'Unlocked');
    } else if (code === 'location-preciselocation') {
      flash(card.querySelector('.location'), `${value.latitude.toFixed(4)}, ${value.longitude.toFixed(4)}`);
    }
  }
  trends.set(vehicleId, trend);
  card.querySelector('.age').textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
  drawTrend(card);
}

async function followLiveUpdates() {
  const live = document.getElementById('live');
  let lastEventId = null;
  for (;;) {
    let ended = null;
    try {
      const response = await fetch('/api/events', {
        credentials: 'same-origin',
        headers: { 'X-CSRF': '1', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
      });
      if (response.status === 401) return;
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      live.hidden = false;
      live.textContent = 'Live updates on.';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const fields = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
          if (fields.id) lastEventId = fields.id;
          if (fields.event === 'signals' && fields.data) applySignals(JSON.parse(fields.data));
          if (fields.event === 'end' && fields.data) ended = JSON.parse(fields.data).reason;
        }
      }
    } catch {
      // Keyfob restarting, or the network gone: try again below.
    }
    if (ended === 'session_ended') {
      live.textContent = 'Your session has ended. Please sign in again.';
      return;
    }
    live.textContent = 'Live updates paused; reconnecting…';
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function renderVehicle(vehicle) {
  const card = document.getElementById('vehicle-card').content.firstElementChild.cloneNode(true);
  card.dataset.vehicleId = vehicle.id;
  card.querySelector('.title').textContent =
    [vehicle.year, vehicle.make, vehicle.model].filter(Boolean).join(' ') || 'Vehicle';
  card.querySelector('.vin').textContent = vehicle.vin ? `VIN ${vehicle.vin}` : '';
  card.querySelector('.provider').textContent = `via ${providerName(vehicle.provider)}`;
  card.dataset.provider = vehicle.provider;
  card.dataset.status = vehicle.status;
  for (const [button, path] of [
    ['.lock', '/security'],
    ['.unlock', '/security'],
  ]) {
    if (!can(vehicle, 'POST', path)) card.querySelector(button).hidden = true;
  }
  if (vehicle.status === 'pending_approval' || vehicle.status === 'not_cleared') {
    const notice = card.querySelector('.notice');
    notice.textContent = STATUS_TEXT[vehicle.status];
    notice.hidden = false;
    card.querySelector('.data').hidden = vehicle.status === 'not_cleared';
    if (vehicle.status === 'pending_approval') loadVehicleData(card, vehicle);
  } else if (vehicle.status !== 'active') {
    const notice = card.querySelector('.notice');
    notice.replaceChildren('This vehicle needs to be connected again. ');
    const link = document.createElement('a');
    link.href = `/auth/login?provider=${encodeURIComponent(vehicle.provider)}&returnTo=/`;
    link.textContent = 'Reconnect';
    notice.append(link);
    notice.hidden = false;
    card.querySelector('.data').hidden = true;
    for (const button of card.querySelectorAll('.lock, .unlock, .refresh')) button.hidden = true;
  } else {
    loadVehicleData(card, vehicle);
    loadTrend(card, vehicle);
  }
  const command = (action) => async () => {
    const answer = await api('POST', `/api/vehicles/${vehicle.id}/security`, { action });
    const problem = explain(answer);
    if (problem) say(problem, 'error');
    else say(action === 'LOCK' ? 'Locked.' : 'Unlocked.');
    await show(card, vehicle, '/security', card.querySelector('.locks'), (d) => (d.isLocked ? 'Locked' : 'Unlocked'));
  };
  card.querySelector('.lock').addEventListener('click', command('LOCK'));
  card.querySelector('.unlock').addEventListener('click', command('UNLOCK'));
  card.querySelector('.refresh').addEventListener('click', () => loadVehicleData(card, vehicle));
  card.querySelector('.disconnect').addEventListener('click', async () => {
    if (!window.confirm('Disconnect this vehicle from Keyfob?')) return;
    const answer = await api('DELETE', `/api/vehicles/${vehicle.id}`);
    const problem = explain(answer);
    if (problem) return say(problem, 'error');
    card.remove();
    say('Vehicle disconnected.');
  });
  return card;
}

async function start() {
  const params = new URLSearchParams(window.location.search);
  const connectError = params.get('connect_error');
  if (connectError) {
    say(CONNECT_ERRORS[connectError] || 'Connecting the vehicle failed. Please try again.', 'error');
    window.history.replaceState(null, '', '/');
  }
  const session = await fetch('/auth/session', { credentials: 'same-origin' }).then((r) => r.json());
  providers = session.providers ?? [];
  document.getElementById('intro').hidden = session.authenticated;
  document.getElementById('sign-out').hidden = !session.authenticated;
  // With an identity provider, people sign in there first; then one Connect button per enabled provider: a car
  // joins the signed-in user whichever provider it comes from.
  if (session.signIn === 'oidc' && !session.authenticated) {
    const link = document.createElement('a');
    link.className = 'button primary';
    link.href = '/auth/login?returnTo=/';
    link.textContent = 'Sign in';
    document.getElementById('connect').replaceChildren(link);
    return;
  }
  if (session.user?.name) document.getElementById('signed-in-as').textContent = session.user.name;
  document.getElementById('connect').replaceChildren(
    ...providers.map((provider) => {
      const link = document.createElement('a');
      link.className = 'button primary';
      link.href = `/auth/login?provider=${encodeURIComponent(provider.name)}&returnTo=/`;
      link.textContent = `Connect ${session.authenticated ? 'another' : 'a'} car via ${provider.displayName}`;
      return link;
    }),
  );
  if (!session.authenticated) return;
  document.getElementById('vehicles').replaceChildren(...session.vehicles.map(renderVehicle));
  if ((session.scopes ?? []).includes('vehicle.read_status')) followLiveUpdates();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  const answer = await api('POST', '/auth/logout');
  // Signed in at an identity provider: end that session too (RP-initiated logout); it sends the browser back here.
  window.location.assign(answer.data.endSessionUrl || '/');
});

start();
