/**
 * Installed software and firmware as Cumulocity SmartREST lines (cumulocity.md §6.1 `115`, `116`,
 * `140`, `141`, `143`; §9: a list near the 16 KB record budget goes as `140` with the first 100
 * items, then `141` batches). Pure.
 */
import { fail, ok, type Outbound, type Result, type SoftwareItem } from '../types';
import { encodeLine } from './encode';

/** Items per `140`/`141` record (cumulocity.md §9). */
export const ITEMS_PER_RECORD = 100;

function advancedFields(i: SoftwareItem): string[] {
  return [i.name, i.version, i.type ?? '', i.url ?? ''];
}

/**
 * `legacy`: one `116,(name,version,url)…` record that replaces the list; refused when it does not
 * fit the record budget. `advanced`: `140` (replaces) with up to 100 items, then `141` (appends)
 * records of up to 100 items each, every record within the budget.
 */
export function softwareListLines(items: readonly SoftwareItem[], mode: 'legacy' | 'advanced'): Result<Outbound[]> {
  if (items.some((i) => i.name === '')) return fail('a software item needs a name');
  if (mode === 'legacy') {
    const line = encodeLine(['116', ...items.flatMap((i) => [i.name, i.version, i.url ?? ''])], 'control');
    return line.ok ? ok([line.value]) : fail(`the software list does not fit one 116 record: ${line.error}`);
  }
  const out: Outbound[] = [];
  let fields: string[] = ['140'];
  let count = 0;
  let last: Outbound | undefined;
  const close = (): void => {
    if (last) out.push(last);
    fields = ['141'];
    count = 0;
    last = undefined;
  };
  for (const item of items) {
    if (count === ITEMS_PER_RECORD) close();
    let rec = encodeLine([...fields, ...advancedFields(item)], 'control');
    if (!rec.ok && count > 0) {
      close();
      rec = encodeLine([...fields, ...advancedFields(item)], 'control');
    }
    if (!rec.ok) return fail(`software item ${item.name} does not fit one record: ${rec.error}`);
    fields.push(...advancedFields(item));
    count += 1;
    last = rec.value;
  }
  if (items.length === 0) {
    // An empty 140 sets an empty list.
    const empty = encodeLine(['140'], 'control');
    if (!empty.ok) return empty;
    last = empty.value;
  }
  if (last) out.push(last);
  return ok(out);
}

/** `143`: the software types this device can install. */
export function encodeSoftwareTypes(types: readonly string[]): Result<Outbound> {
  return encodeLine(['143', ...types], 'control');
}

/** `115`: the installed firmware. */
export function encodeFirmware(fw: SoftwareItem): Result<Outbound> {
  if (fw.name === '') return fail('firmware needs a name');
  return encodeLine(['115', fw.name, fw.version, fw.url ?? ''], 'control');
}
