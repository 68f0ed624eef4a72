// Upstream inventory templates 100-150 and the 105/123/600 queries (§6.1).
import type { SimDevice, SoftwareItem } from './model';
import { ArgumentError, arg, arity, groups, list, number, required, time, type Handler } from './lines';

/** What `600` answers; any plausible platform version string will do for tests. */
export const SIM_PLATFORM_VERSION = '1018.0.0';

/** Fragments `107` can delete, mapped to the model fields that hold them. */
type DeletableField = Exclude<
  keyof SimDevice,
  'id' | 'externalId' | 'name' | 'type' | 'isDevice' | 'children' | 'supportedOperations' | 'parent'
>;
const FRAGMENT_FIELDS = new Map<string, DeletableField>([
  ['c8y_Hardware', 'hardware'],
  ['c8y_RequiredAvailability', 'requiredInterval'],
  ['c8y_Agent', 'agent'],
  ['c8y_SoftwareList', 'software'],
  ['c8y_SoftwareUpdate', 'advancedSoftware'],
  ['c8y_SupportedSoftwareTypes', 'softwareTypes'],
  ['c8y_Firmware', 'firmware'],
  ['c8y_Configuration', 'config'],
  ['c8y_SupportedLogs', 'logTypes'],
  ['c8y_SupportedConfigurations', 'configTypes'],
  ['c8y_Profile', 'profile'],
  ['c8y_RemoteAccessList', 'remoteAccess'],
  ['c8y_Position', 'position'],
]);

function software(args: string[], withType: boolean): SoftwareItem[] {
  return groups(args, withType ? 4 : 3).map((g) => {
    const item: SoftwareItem = { name: arg(g, 0), version: arg(g, 1), url: arg(g, withType ? 3 : 2) };
    if (withType) item.type = arg(g, 2);
    if (item.name === '') throw new ArgumentError('Missing software name');
    return item;
  });
}

export const inventoryHandlers: Record<string, Handler> = {
  '100': (args, ctx) => {
    arity(args, 0, 2);
    if (ctx.model.devices.has(ctx.target)) return { code: 41, text: 'Device already existing' };
    const parent = ctx.target === ctx.root ? undefined : ctx.root;
    if (parent !== undefined) ctx.model.ensureDevice(parent);
    ctx.model.ensureDevice(ctx.target, { parent, name: arg(args, 0), type: arg(args, 1) });
    return undefined;
  },
  '101': (args, ctx) => {
    arity(args, 1, 4);
    const childId = required(args, 0, 'child id');
    const isDevice = arg(args, 3);
    if (isDevice !== '' && isDevice !== 'true' && isDevice !== 'false') {
      throw new ArgumentError(`Value is not a BOOLEAN: ${isDevice}`);
    }
    if (ctx.model.devices.has(childId)) return { code: 41, text: 'Child device already existing' };
    const parent = ctx.device();
    ctx.model.ensureDevice(childId, {
      parent: parent.externalId,
      name: arg(args, 1) || childId,
      type: arg(args, 2),
      isDevice: isDevice !== 'false',
    });
    return undefined;
  },
  '105': (args, ctx) => {
    arity(args, 0, 0);
    ctx.reply('s/ds', ['106', ...ctx.device().children]);
    return undefined;
  },
  '107': (args, ctx) => {
    arity(args, 1);
    const d = ctx.device();
    for (const f of list(args)) {
      const field = FRAGMENT_FIELDS.get(f);
      if (field !== undefined) delete d[field];
    }
    return undefined;
  },
  '110': (args, ctx) => {
    arity(args, 0, 3);
    ctx.device().hardware = { serialNumber: arg(args, 0), model: arg(args, 1), revision: arg(args, 2) };
    return undefined;
  },
  '113': (args, ctx) => {
    arity(args, 0, 1);
    ctx.device().config = arg(args, 0);
    return undefined;
  },
  '114': (args, ctx) => {
    ctx.device().supportedOperations = list(args);
    return undefined;
  },
  '115': (args, ctx) => {
    arity(args, 0, 3);
    ctx.device().firmware = { name: arg(args, 0), version: arg(args, 1), url: arg(args, 2) };
    return undefined;
  },
  '116': (args, ctx) => {
    const items = software(args, false);
    ctx.device().software = items;
    return undefined;
  },
  '117': (args, ctx) => {
    arity(args, 0, 1);
    const v = arg(args, 0);
    const minutes = v === '' ? undefined : number(v);
    if (minutes !== undefined && !Number.isInteger(minutes)) {
      throw new ArgumentError(`Value is not an INTEGER: ${v}`);
    }
    const d = ctx.device();
    if (d.requiredInterval === undefined && minutes !== undefined) d.requiredInterval = minutes;
    return undefined;
  },
  '118': (args, ctx) => {
    ctx.device().logTypes = list(args);
    return undefined;
  },
  '119': (args, ctx) => {
    ctx.device().configTypes = list(args);
    return undefined;
  },
  '120': (args, ctx) => {
    arity(args, 2, 4);
    const entry = {
      type: required(args, 0, 'type'),
      url: required(args, 1, 'url'),
      fileName: arg(args, 2),
      time: time(arg(args, 3), ctx.now),
    };
    const d = ctx.device();
    d.typedConfigs = [...(d.typedConfigs ?? []).filter((c) => c.type !== entry.type), entry];
    return undefined;
  },
  '121': (args, ctx) => {
    arity(args, 1, 2);
    const executed = arg(args, 0);
    if (executed !== 'true' && executed !== 'false') {
      throw new ArgumentError(`Value is not a BOOLEAN: ${executed}`);
    }
    ctx.device().profile = { executed: executed === 'true', profileId: arg(args, 1) };
    return undefined;
  },
  '122': (args, ctx) => {
    arity(args, 2, 4);
    const agent = {
      name: required(args, 0, 'name'),
      version: required(args, 1, 'version'),
      url: arg(args, 2),
      maintainer: arg(args, 3),
    };
    ctx.device().agent = agent;
    return undefined;
  },
  '123': (args, ctx) => {
    arity(args, 0, 0);
    ctx.reply('s/ds', ['124', ctx.device().id]);
    return undefined;
  },
  '125': (args, ctx) => {
    arity(args, 0, 0);
    ctx.device(); // availability only; lastMessage is set by the dispatcher
    return undefined;
  },
  '140': (args, ctx) => {
    const items = software(args, true);
    ctx.device().advancedSoftware = items;
    return undefined;
  },
  '141': (args, ctx) => {
    const items = software(args, true);
    const d = ctx.device();
    const kept = (d.advancedSoftware ?? []).filter((s) => !items.some((i) => i.name === s.name));
    d.advancedSoftware = [...kept, ...items];
    return undefined;
  },
  '142': (args, ctx) => {
    const gone = groups(args, 2);
    const d = ctx.device();
    d.advancedSoftware = (d.advancedSoftware ?? []).filter(
      (s) => !gone.some((g) => g[0] === s.name && (g[1] === '' || g[1] === s.version)),
    );
    return undefined;
  },
  '143': (args, ctx) => {
    const types = list(args);
    const d = ctx.device();
    if (types.length === 0) delete d.softwareTypes;
    else d.softwareTypes = types;
    return undefined;
  },
  '150': (args, ctx) => {
    ctx.device().remoteAccess = list(args);
    return undefined;
  },
  '600': (args, ctx) => {
    arity(args, 0, 0);
    ctx.reply('s/ds', ['601', SIM_PLATFORM_VERSION]);
    return undefined;
  },
};
