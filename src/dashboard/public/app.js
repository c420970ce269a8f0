// The Keyfob dashboard. It talks only to Keyfob, through Keyfob's browser client (keyfob-client.js: the session
// cookie, the X-CSRF header, typed errors); it never receives a token, so there is none here to steal.
import {
  FreshSignInRequiredError,
  InsufficientScopeError,
  KeyfobClient,
  KeyfobError,
  NotSupportedByProviderError,
  RateLimitedError,
  ReauthRequiredError,
  SignedOutError,
} from './keyfob-client.js';

const keyfob = new KeyfobClient();

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

/** A sentence for a failed call (the client's typed errors). */
function explain(error) {
  if (error instanceof ReauthRequiredError) return 'This vehicle needs to be connected again.';
  if (error instanceof SignedOutError) return 'Your session has ended. Please sign in again.';
  if (error instanceof InsufficientScopeError)
    return `Permission missing: ${error.missingScopes.join(', ')}. Reconnect the vehicle and allow it.`;
  if (error instanceof RateLimitedError)
    return `Too many requests for this vehicle. Try again in ${error.retryAfterSeconds ?? 'a few'} seconds.`;
  if (error instanceof FreshSignInRequiredError) return 'Please sign in again first: this needs a recent sign-in.';
  if (error instanceof NotSupportedByProviderError) return error.message;
  if (!(error instanceof KeyfobError)) return 'Keyfob could not be reached. Please try again.';
  if (error.status === 403) return error.message || 'The provider refused this request: a permission is missing.';
  if (error.status === 501) return 'Not available on this vehicle.';
  return error.message || `Request failed (${error.status}).`;
}

/** Runs a call; a failure becomes `{ error }` instead of a throw, for the cards that show it in place. */
async function attempt(call) {
  try {
    return await call();
  } catch (error) {
    return { error };
  }
}

const km = (value) => `${Math.round(value).toLocaleString()} km`;
const percent = (value) => `${Math.round(value * 100)} %`;

async function show(card, vehicle, path, target, format) {
  const answer = await attempt(() => keyfob.read(vehicle.id, path));
  target.textContent = answer.error ? '—' : format(answer.data);
  if (answer.error && answer.error.status !== 501) {
    const notice = card.querySelector('.notice');
    notice.textContent = explain(answer.error);
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
    : { error: { status: 501 } };
  if (battery.error?.status === 501 && can(vehicle, 'GET', '/fuel')) {
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
  asleep: 'This car is asleep. Its data will update once it wakes up.',
  unreachable: 'This car is offline right now. Its data will update once it is back online.',
  remote_access_disabled: "Remote access is turned off in this car's settings.",
};
// The car is there but out of reach for now: its stored readings show, with the provider's word, until it is back.
const OUT_OF_REACH = new Set(['asleep', 'unreachable', 'remote_access_disabled']);

function providerName(name) {
  return providers.find((provider) => provider.name === name)?.displayName ?? name;
}

let providers = [];

// --- live updates: Smartcar's webhooks, pushed by Keyfob over one stream (the client's liveUpdates) ------------

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
  const answer = await attempt(() => keyfob.trends(vehicle.id));
  if (answer.error) return;
  trends.set(vehicle.id, answer);
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

/** A `status` event: each card whose vehicle's status changed is drawn again, in place. */
function applyStatus({ vehicles }) {
  for (const vehicle of vehicles) {
    const card = document.querySelector(`article[data-vehicle-id="${CSS.escape(vehicle.id)}"]`);
    if (
      card &&
      (card.dataset.status !== vehicle.status || card.dataset.statusMessage !== (vehicle.statusMessage ?? ''))
    ) {
      card.replaceWith(renderVehicle(vehicle));
    }
  }
}

function followLiveUpdates() {
  const live = document.getElementById('live');
  keyfob.liveUpdates({
    onSignals: applySignals,
    onStatus: applyStatus,
    onOpen: () => {
      live.hidden = false;
      live.textContent = 'Live updates on.';
    },
    onPause: () => {
      live.textContent = 'Live updates paused; reconnecting…';
    },
    onEnd: (reason) => {
      if (reason === 'session_ended') live.textContent = 'Your session has ended. Please sign in again.';
    },
  });
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
  card.dataset.statusMessage = vehicle.statusMessage ?? '';
  for (const [button, path] of [
    ['.lock', '/security'],
    ['.unlock', '/security'],
  ]) {
    if (!can(vehicle, 'POST', path)) card.querySelector(button).hidden = true;
  }
  if (vehicle.status === 'pending_approval' || vehicle.status === 'not_cleared' || OUT_OF_REACH.has(vehicle.status)) {
    const notice = card.querySelector('.notice');
    // The provider's advice is text: set as text, never parsed as HTML.
    notice.textContent = vehicle.statusMessage || STATUS_TEXT[vehicle.status];
    notice.hidden = false;
    card.querySelector('.data').hidden = vehicle.status === 'not_cleared';
    if (vehicle.status === 'pending_approval') loadVehicleData(card, vehicle);
    // Asking the car now would only be refused (and may keep it awake): the stored readings still show.
    if (OUT_OF_REACH.has(vehicle.status)) loadTrend(card, vehicle);
  } else if (vehicle.status !== 'active') {
    const notice = card.querySelector('.notice');
    notice.replaceChildren(`${vehicle.statusMessage || 'This vehicle needs to be connected again.'} `);
    const link = document.createElement('a');
    link.className = 'reconnect';
    link.href = vehicle.loginUrl || keyfob.loginUrl({ provider: vehicle.provider });
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
    const answer = await attempt(() => keyfob.command(vehicle.id, '/security', action));
    if (answer.error) say(explain(answer.error), 'error');
    else say(action === 'LOCK' ? 'Locked.' : 'Unlocked.');
    await show(card, vehicle, '/security', card.querySelector('.locks'), (d) => (d.isLocked ? 'Locked' : 'Unlocked'));
  };
  card.querySelector('.lock').addEventListener('click', command('LOCK'));
  card.querySelector('.unlock').addEventListener('click', command('UNLOCK'));
  card.querySelector('.refresh').addEventListener('click', () => loadVehicleData(card, vehicle));
  card.querySelector('.disconnect').addEventListener('click', async () => {
    if (!window.confirm('Disconnect this vehicle from Keyfob?')) return;
    const answer = await attempt(() => keyfob.disconnect(vehicle.id));
    if (answer.error) return say(explain(answer.error), 'error');
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
  const session = await keyfob.session();
  providers = session.providers ?? [];
  document.getElementById('intro').hidden = session.authenticated;
  document.getElementById('sign-out').hidden = !session.authenticated;
  // With an identity provider, people sign in there first; then one Connect button per enabled provider: a car
  // joins the signed-in user whichever provider it comes from.
  if (session.signIn === 'oidc' && !session.authenticated) {
    const link = document.createElement('a');
    link.className = 'button primary';
    link.href = keyfob.loginUrl();
    link.textContent = 'Sign in';
    document.getElementById('connect').replaceChildren(link);
    return;
  }
  if (session.user?.name) document.getElementById('signed-in-as').textContent = session.user.name;
  document.getElementById('connect').replaceChildren(
    ...providers.map((provider) => {
      const link = document.createElement('a');
      link.className = 'button primary';
      link.href = keyfob.loginUrl({ provider: provider.name });
      link.textContent = `Connect ${session.authenticated ? 'another' : 'a'} car via ${provider.displayName}`;
      return link;
    }),
  );
  if (!session.authenticated) return;
  document.getElementById('vehicles').replaceChildren(...session.vehicles.map(renderVehicle));
  if ((session.scopes ?? []).includes('vehicle.read_status')) followLiveUpdates();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  const answer = await attempt(() => keyfob.logout());
  // Signed in at an identity provider: end that session too (RP-initiated logout); it sends the browser back here.
  window.location.assign(answer.endSessionUrl || '/');
});

start();
