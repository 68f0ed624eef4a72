// Static operation table (protocol reference §6.2) and its equivalence with JSON operations (§8).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeDownstream,
  decodeJsonOperation,
  decodeStaticOperation,
  fragmentOfStaticId,
  MALFORMED_OPERATION,
  STATIC_OPERATIONS,
} from '../../../dialects/cumulocity';
import type { Inbound } from '../../../dialects/types';

const URL = 'https://t1.example.com/inventory/binaries/77';

/** The params of a static line, failing the test if it does not decode to an operation. */
function paramsOf(line: string): unknown {
  const [out] = decodeDownstream('s/ds', line);
  if (out?.kind !== 'operation') assert.fail(`${line} → ${JSON.stringify(out)}`);
  return out.operation.params;
}
function isMalformed(line: string): boolean {
  const out: Inbound | undefined = decodeDownstream('s/ds', line)[0];
  return out?.kind === 'bad-operation' && out.reason === MALFORMED_OPERATION;
}

describe('cumulocity operations: static table (§6.2)', () => {
  const cases: [string, string, unknown][] = [
    ['510,dev1', 'c8y_Restart', {}],
    ['511,dev1,"uptime"', 'c8y_Command', { text: 'uptime' }],
    ['513,dev1,"a=1\nb=2"', 'c8y_Configuration', { config: 'a=1\nb=2' }],
    ['513,dev1', 'c8y_Configuration', { config: '' }],
    [`515,dev1,raspios,12.6,${URL}`, 'c8y_Firmware', { name: 'raspios', version: '12.6', url: URL }],
    [
      `516,dev1,piAgent,0.4,${URL},node-red,4.0.2,`,
      'c8y_SoftwareList',
      [
        { name: 'piAgent', version: '0.4', url: URL },
        { name: 'node-red', version: '4.0.2', url: '' },
      ],
    ],
    ['516,dev1', 'c8y_SoftwareList', []],
    ['517,dev1,SensorData', 'c8y_MeasurementRequestOperation', { requestName: 'SensorData' }],
    ['518,dev1,OPEN', 'c8y_Relay', { relayState: 'OPEN' }],
    ['519,dev1,OPEN,CLOSED,OPEN', 'c8y_RelayArray', ['OPEN', 'CLOSED', 'OPEN']],
    ['520,dev1', 'c8y_UploadConfigFile', {}],
    [`521,dev1,${URL}`, 'c8y_DownloadConfigFile', { url: URL }],
    [
      '522,dev1,syslog,2021-09-21T11:40:27+0200,2021-09-22T11:40:27+0200,ERROR,1000',
      'c8y_LogfileRequest',
      {
        logFile: 'syslog',
        dateFrom: '2021-09-21T11:40:27+0200',
        dateTo: '2021-09-22T11:40:27+0200',
        searchText: 'ERROR',
        maximumLines: 1000,
      },
    ],
    ['522,dev1,syslog,,,,', 'c8y_LogfileRequest', { logFile: 'syslog', dateFrom: '', dateTo: '', searchText: '' }],
    [`524,dev1,${URL},flows`, 'c8y_DownloadConfigFile', { url: URL, c8y_ConfigurationType: 'flows' }],
    [`525,dev1,raspios,12.7,${URL},12.6`, 'c8y_Firmware', { name: 'raspios', version: '12.7', url: URL, dependency: '12.6' }],
    ['526,dev1,flows', 'c8y_UploadConfigFile', { type: 'flows' }],
    [
      `527,dev1,$FW,raspios,12.7,${URL},false,,$SW,foo,1.0,${URL},install,$CONF,${URL},flows`,
      'c8y_DeviceProfile',
      {
        firmware: { name: 'raspios', version: '12.7', url: URL, isPatch: false, dependency: '' },
        software: [{ name: 'foo', version: '1.0', url: URL, action: 'install' }],
        configuration: [{ url: URL, type: 'flows' }],
      },
    ],
    ['527,dev1,$FW,,,,,,$SW,$CONF', 'c8y_DeviceProfile', { software: [], configuration: [] }],
    [
      `528,dev1,foo,1.0,${URL},install,bar,2.0,,delete`,
      'c8y_SoftwareUpdate',
      [
        { name: 'foo', version: '1.0', url: URL, action: 'install' },
        { name: 'bar', version: '2.0', url: '', action: 'delete' },
      ],
    ],
    [
      `529,dev1,foo,1.0,npm,${URL},install`,
      'c8y_SoftwareUpdate',
      [{ name: 'foo', version: '1.0', softwareType: 'npm', url: URL, action: 'install' }],
    ],
    [
      '530,dev1,127.0.0.1,22,eb5e9d13-1caa-486b-bdda-130ca0d87df8',
      'c8y_RemoteAccessConnect',
      { hostname: '127.0.0.1', port: 22, connectionKey: 'eb5e9d13-1caa-486b-bdda-130ca0d87df8' },
    ],
  ];
  for (const [line, fragment, params] of cases) {
    it(`decodes ${JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line)} as ${fragment}`, () => {
      assert.deepEqual(decodeDownstream('s/ds', line), [{ kind: 'operation', operation: { fragment, deviceId: 'dev1', params } }]);
    });
  }

  it('maps every static id to its fragment and nothing else', () => {
    assert.equal(STATIC_OPERATIONS['511'], 'c8y_Command');
    assert.equal(fragmentOfStaticId('529'), 'c8y_SoftwareUpdate');
    assert.equal(fragmentOfStaticId('106'), undefined);
    assert.equal(fragmentOfStaticId('constructor'), undefined);
    assert.deepEqual(Object.keys(STATIC_OPERATIONS), [
      '510',
      '511',
      '513',
      '515',
      '516',
      '517',
      '518',
      '519',
      '520',
      '521',
      '522',
      '524',
      '525',
      '526',
      '527',
      '528',
      '529',
      '530',
    ]);
  });

  it('routes on field 2, the target device, whatever it is', () => {
    const out = decodeStaticOperation(['510', 'rpi-0001-sense']);
    assert.deepEqual(out, { kind: 'operation', operation: { fragment: 'c8y_Restart', deviceId: 'rpi-0001-sense', params: {} } });
  });

  it('ignores an operation line without a device id', () => {
    assert.equal(decodeStaticOperation(['510']).kind, 'ignored');
    assert.equal(decodeStaticOperation(['511', '', 'ls']).kind, 'ignored');
  });
});

describe('cumulocity operations: malformed lines (§6.2 parsing rules)', () => {
  const malformed: [string, string][] = [
    ['516 remainder of 1', `516,dev1,piAgent,0.4,${URL},extra`],
    ['516 remainder of 2', '516,dev1,piAgent,0.4'],
    ['516 group without a name', '516,dev1,,0.4,'],
    ['528 remainder of 3', `528,dev1,foo,1.0,${URL}`],
    ['528 group without an action', `528,dev1,foo,1.0,${URL},`],
    ['529 with the type column omitted, as in the docs', `529,dev1,foo,1.0,${URL},install`],
    ['529 remainder of 1 after a full group', `529,dev1,foo,1.0,npm,${URL},install,x`],
    ['511 without a command', '511,dev1'],
    ['511 with an unquoted comma (would run half a command)', '511,dev1,ls -l, /tmp'],
    ['515 without url', '515,dev1,raspios,12.6'],
    ['517 without a request name', '517,dev1'],
    ['518 in the relay page form without device id', '518,OPEN'],
    ['519 without states', '519,dev1'],
    ['521 without url', '521,dev1,'],
    ['522 without log file', '522,dev1,,a,b,c,10'],
    ['522 with a non-numeric line count', '522,dev1,syslog,a,b,c,many'],
    ['524 without type', `524,dev1,${URL}`],
    ['525 without dependency', `525,dev1,raspios,12.7,${URL}`],
    ['526 without type', '526,dev1'],
    ['527 with a field before the first section', '527,dev1,x,$SW'],
    ['527 with a software remainder', '527,dev1,$SW,foo,1.0'],
    ['527 with a short firmware section', '527,dev1,$FW,raspios,12.7'],
    ['530 with a non-numeric port', '530,dev1,host,ssh,key'],
    ['530 without a connection key', '530,dev1,host,22'],
    ['510 with an unexpected parameter', '510,dev1,now'],
  ];
  for (const [what, line] of malformed) {
    it(`fails ${what} as "malformed operation"`, () => {
      assert.ok(isMalformed(line), JSON.stringify(decodeDownstream('s/ds', line)));
    });
  }

  it('keeps fragment and device id in the bad-operation so the node can answer 501/502', () => {
    assert.deepEqual(decodeStaticOperation(['528', 'child-7', 'foo']), {
      kind: 'bad-operation',
      fragment: 'c8y_SoftwareUpdate',
      deviceId: 'child-7',
      reason: 'malformed operation',
    });
  });

  it('accepts omitted or empty trailing optional fields', () => {
    assert.deepEqual(paramsOf('510,dev1,'), {});
    assert.deepEqual(paramsOf('522,dev1,syslog'), { logFile: 'syslog', dateFrom: '', dateTo: '', searchText: '' });
  });
});

describe('cumulocity operations: static and id mode give the same params (§6.2, §8)', () => {
  const pairs: [string, Record<string, unknown>][] = [
    ['511,rpi-0001,"uptime"', { c8y_Command: { text: 'uptime' } }],
    ['510,rpi-0001', { c8y_Restart: {} }],
    [
      '522,rpi-0001,syslog,2021-09-21T11:40:27+0200,2021-09-22T11:40:27+0200,ERROR,1000',
      {
        c8y_LogfileRequest: {
          logFile: 'syslog',
          dateFrom: '2021-09-21T11:40:27+0200',
          dateTo: '2021-09-22T11:40:27+0200',
          searchText: 'ERROR',
          maximumLines: 1000,
        },
      },
    ],
    ['530,rpi-0001,127.0.0.1,22,key-1', { c8y_RemoteAccessConnect: { hostname: '127.0.0.1', port: 22, connectionKey: 'key-1' } }],
    [`516,rpi-0001,piAgent,0.4,${URL}`, { c8y_SoftwareList: [{ name: 'piAgent', version: '0.4', url: URL }] }],
  ];
  for (const [line, fragment] of pairs) {
    it(`matches ${Object.keys(fragment)[0] ?? ''}`, () => {
      const json = decodeJsonOperation({ id: '1', status: 'PENDING', externalSource: { externalId: 'rpi-0001' }, ...fragment });
      if (json.kind !== 'operation') assert.fail(JSON.stringify(json));
      assert.deepEqual(paramsOf(line), json.operation.params);
      const [fixedOut] = decodeDownstream('s/ds', line);
      assert.equal(fixedOut?.kind === 'operation' ? fixedOut.operation.fragment : '', json.operation.fragment);
    });
  }
});
