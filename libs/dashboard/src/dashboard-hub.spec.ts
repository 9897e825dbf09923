// DashboardHub: whole state on connect, then updates at most N times a second however fast the messages come;
// nothing pushed without a page; bounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardHub } from './dashboard-hub';
import type { DashboardEvent, DashboardUpdate } from './dashboard-hub';

/** A clock and a one-shot timer driven by the test. */
function fakeTime() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    schedule: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => void timers.splice(timers.indexOf(t), 1);
    },
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
    },
    get armed() {
      return timers.length;
    },
  };
}

const point = (i: number) => ({ type: 'point', series: 'live', point: { iter: i, zn: i / 10 } }) as const;

test('a page gets the whole state when it connects, then updates', () => {
  const time = fakeTime();
  const hub = new DashboardHub({ now: time.now, schedule: time.schedule });
  hub.apply({ type: 'meta', meta: { kind: 'run', title: 't', fields: { solver: 'saba' }, controls: { stop: true, pause: true } } });
  hub.apply(point(0));
  hub.apply({ type: 'state', patch: { status: 'running', iteration: 0 } });
  hub.apply({ type: 'item', list: 'findings', item: { level: 'warning', monitor: 'theorem', iteration: 0, message: 'm' } });
  const events: DashboardEvent[] = [];
  hub.subscribe((e) => events.push(e));
  assert.equal(events.length, 1);
  const init = events[0];
  assert.equal(init.kind, 'init');
  if (init.kind !== 'init') return;
  assert.equal(init.meta?.title, 't');
  assert.deepEqual(init.series.live, [{ iter: 0, zn: 0 }]);
  assert.deepEqual(init.state, { status: 'running', iteration: 0 });
  assert.equal(init.lists.findings.total, 1);
  hub.apply(point(1));
  hub.apply({ type: 'state', patch: { iteration: 1 } });
  time.advance(1000);
  assert.equal(events.length, 2);
  const u = events[1] as DashboardUpdate;
  assert.deepEqual(u.points.live, [{ iter: 1, zn: 0.1 }], 'only what is new');
  assert.deepEqual(u.state, { iteration: 1 });
});

test('10,000 messages in a burst reach a page as at most maxUpdatesPerSecond updates per second', () => {
  const time = fakeTime();
  const hub = new DashboardHub({ now: time.now, schedule: time.schedule, maxUpdatesPerSecond: 4 });
  const updates: DashboardUpdate[] = [];
  hub.subscribe((e) => e.kind === 'update' && updates.push(e));
  for (let i = 0; i < 10_000; i++) {
    hub.apply(point(i));
    if (i % 100 === 0) time.advance(10); // 10,000 messages over 1 s of the fake clock
  }
  time.advance(1000);
  assert.ok(updates.length >= 4 && updates.length <= 6, `${updates.length} updates in about 1.25 s`);
  assert.equal(hub.messages, 10_000);
  const last = updates.at(-1)!.points.live.at(-1);
  assert.deepEqual(last, { iter: 9999, zn: 999.9 }, 'the latest point always arrives');
  assert.ok(updates.every((u) => u.points.live.length <= 257), 'a late push is thinned');
});

test('nothing is pushed while no page is connected, and a page that connects later sees the history once', () => {
  const time = fakeTime();
  const hub = new DashboardHub({ now: time.now, schedule: time.schedule, seriesCapacity: 100 });
  for (let i = 0; i < 1000; i++) hub.apply(point(i));
  assert.equal(time.armed, 0, 'no timer without a page');
  assert.equal(hub.pushes, 0);
  const events: DashboardEvent[] = [];
  hub.subscribe((e) => events.push(e));
  const init = events[0];
  assert.ok(init.kind === 'init' && init.series.live.length <= 101 && init.series.live.at(-1)?.iter === 999);
  time.advance(5000);
  assert.equal(events.length, 1, 'the history is not sent again as an update');
});

test('lists keep their latest items and count them all; rows and curves are kept by key', () => {
  const hub = new DashboardHub({ listCapacity: 3 });
  for (let i = 0; i < 10; i++) hub.apply({ type: 'item', list: 'findings', item: { iteration: i } });
  hub.apply({ type: 'row', key: 'a', row: { status: 'queued' } });
  hub.apply({ type: 'row', key: 'a', row: { status: 'done' } });
  hub.apply({ type: 'curve', key: 'a', points: [{ iter: 1, metric: 0.5 }] });
  const init = hub.init();
  assert.deepEqual(init.lists.findings, { items: [{ iteration: 7 }, { iteration: 8 }, { iteration: 9 }], total: 10 });
  assert.deepEqual(init.rows, { a: { status: 'done' } });
  assert.deepEqual(init.curves, ['a']);
  assert.deepEqual(hub.curve('a'), [{ iter: 1, metric: 0.5 }]);
  assert.equal(hub.curve('b'), undefined);
});

test('flush pushes at once; a bad option or message type is refused', () => {
  const hub = new DashboardHub();
  const events: DashboardEvent[] = [];
  hub.subscribe((e) => events.push(e));
  hub.apply({ type: 'state', patch: { status: 'ended' } });
  hub.flush();
  assert.equal(events.length, 2);
  assert.throws(() => new DashboardHub({ maxUpdatesPerSecond: 0 }), /maxUpdatesPerSecond must be in \(0, 1000\], received 0/);
  assert.throws(() => hub.apply({ type: 'nope' } as never), /unknown message type "nope"/);
});
