// Upstream measurements (200-212), alarms (301-307) and events (400-408) (§6.1).
import type { AlarmSeverity, SimAlarm, SimSeries } from './model';
import { ArgumentError, arg, arity, groups, list, number, optionalNumber, required, time, type Handler, type LineContext } from './lines';

const SEVERITIES: readonly AlarmSeverity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];

function measure(ctx: LineContext, type: string, at: string, series: SimSeries[]): undefined {
  ctx.model.measurements.push({ deviceId: ctx.device().externalId, type, time: at, series });
  return undefined;
}

function activeAlarm(ctx: LineContext, type: string): SimAlarm | undefined {
  return ctx.model.alarms.find((a) => a.deviceId === ctx.target && a.type === type && a.status === 'ACTIVE');
}

/** 301-304: one ACTIVE alarm per (device, type); a re-raise only counts and moves the time. */
function raise(severity: AlarmSeverity): Handler {
  return (args, ctx) => {
    arity(args, 1, 3);
    const type = required(args, 0, 'type');
    const text = arg(args, 1) || `Alarm of type ${type} raised`;
    const at = time(arg(args, 2), ctx.now);
    const deviceId = ctx.device().externalId;
    const active = activeAlarm(ctx, type);
    if (active) {
      active.count++;
      active.time = at;
    } else {
      ctx.model.alarms.push({ deviceId, type, severity, text, status: 'ACTIVE', count: 1, time: at });
    }
    return undefined;
  };
}

/** 401/402: location update event; 402 also moves the device. */
function location(updateDevice: boolean): Handler {
  return (args, ctx) => {
    arity(args, 0, 5);
    const lat = optionalNumber(arg(args, 0));
    const lng = optionalNumber(arg(args, 1));
    const alt = optionalNumber(arg(args, 2));
    const accuracy = optionalNumber(arg(args, 3));
    const at = time(arg(args, 4), ctx.now);
    const device = ctx.device();
    const position: { lat?: number; lng?: number; alt?: number; accuracy?: number } = {};
    if (lat !== undefined) position.lat = lat;
    if (lng !== undefined) position.lng = lng;
    if (alt !== undefined) position.alt = alt;
    if (accuracy !== undefined) position.accuracy = accuracy;
    ctx.model.events.push({
      deviceId: device.externalId,
      type: 'c8y_LocationUpdate',
      text: 'Location updated',
      time: at,
      position,
    });
    if (updateDevice && lat !== undefined && lng !== undefined) {
      device.position = alt === undefined ? { lat, lng } : { lat, lng, alt };
    }
    return undefined;
  };
}

export const dataHandlers: Record<string, Handler> = {
  '200': (args, ctx) => {
    arity(args, 3, 5);
    const fragment = required(args, 0, 'fragment');
    const series = required(args, 1, 'series');
    const value = number(arg(args, 2));
    const at = time(arg(args, 4), ctx.now);
    return measure(ctx, fragment, at, [{ fragment, series, value, unit: arg(args, 3) }]);
  },
  '201': (args, ctx) => {
    arity(args, 5);
    const type = required(args, 0, 'type');
    const at = time(arg(args, 1), ctx.now);
    const series = groups(args.slice(2), 4, 3).map((g) => ({
      fragment: required(g, 0, 'fragment'),
      series: required(g, 1, 'series'),
      value: number(arg(g, 2)),
      unit: arg(g, 3),
    }));
    return measure(ctx, type, at, series);
  },
  '210': (args, ctx) => {
    arity(args, 1, 3);
    const rssi = optionalNumber(arg(args, 0));
    const ber = optionalNumber(arg(args, 1));
    if (rssi === undefined && ber === undefined) throw new ArgumentError('rssi or ber required');
    const at = time(arg(args, 2), ctx.now);
    const series: SimSeries[] = [];
    if (rssi !== undefined) series.push({ fragment: 'c8y_SignalStrength', series: 'rssi', value: rssi, unit: 'dBm' });
    if (ber !== undefined) series.push({ fragment: 'c8y_SignalStrength', series: 'ber', value: ber, unit: '%' });
    return measure(ctx, 'c8y_SignalStrength', at, series);
  },
  '211': (args, ctx) => {
    arity(args, 1, 2);
    const value = number(arg(args, 0));
    const at = time(arg(args, 1), ctx.now);
    const s = { fragment: 'c8y_TemperatureMeasurement', series: 'T', value, unit: 'C' };
    return measure(ctx, 'c8y_TemperatureMeasurement', at, [s]);
  },
  '212': (args, ctx) => {
    arity(args, 1, 2);
    const value = number(arg(args, 0));
    const at = time(arg(args, 1), ctx.now);
    return measure(ctx, 'c8y_Battery', at, [{ fragment: 'c8y_Battery', series: 'level', value, unit: '%' }]);
  },
  '301': raise('CRITICAL'),
  '302': raise('MAJOR'),
  '303': raise('MINOR'),
  '304': raise('WARNING'),
  '305': (args, ctx) => {
    arity(args, 2, 2);
    const type = required(args, 0, 'type');
    const severity = SEVERITIES.find((s) => s === arg(args, 1));
    if (!severity) throw new ArgumentError(`Value is not a SEVERITY: ${arg(args, 1)}`);
    const active = activeAlarm(ctx, type);
    if (!active) return { code: 41, text: `No active alarm of type ${type}` };
    active.severity = severity;
    return undefined;
  },
  '306': (args, ctx) => {
    arity(args, 1, 1);
    const active = activeAlarm(ctx, required(args, 0, 'type'));
    if (active) active.status = 'CLEARED'; // clearing nothing is not an error
    return undefined;
  },
  '307': (args, ctx) => {
    arity(args, 2);
    const active = activeAlarm(ctx, required(args, 0, 'type'));
    if (active) active.removedFragments = [...(active.removedFragments ?? []), ...list(args.slice(1))];
    return undefined;
  },
  '400': (args, ctx) => {
    arity(args, 2, 3);
    const type = required(args, 0, 'type');
    const text = required(args, 1, 'text');
    const at = time(arg(args, 2), ctx.now);
    ctx.model.events.push({ deviceId: ctx.device().externalId, type, text, time: at });
    return undefined;
  },
  '401': location(false),
  '402': location(true),
  '407': (args, ctx) => {
    arity(args, 2);
    const type = required(args, 0, 'type');
    const latest = [...ctx.model.events].reverse().find((e) => e.deviceId === ctx.target && e.type === type);
    if (latest) latest.removedFragments = [...(latest.removedFragments ?? []), ...list(args.slice(1))];
    return undefined;
  },
  '408': (args, ctx) => {
    arity(args, 0);
    const text = arg(args, 0) || 'Parameter update';
    const at = time(arg(args, 1), ctx.now);
    const changeDetect = arg(args, 2);
    if (changeDetect !== '' && changeDetect !== 'true' && changeDetect !== 'false') {
      throw new ArgumentError(`Value is not a BOOLEAN: ${changeDetect}`);
    }
    const parameters = groups(args.slice(3), 3).map((g) => ({ path: arg(g, 0), type: arg(g, 1), value: arg(g, 2) }));
    const deviceId = ctx.device().externalId;
    ctx.model.events.push({ deviceId, type: 'c8y_ParameterUpdate', text, time: at, parameters });
    return undefined;
  },
};
