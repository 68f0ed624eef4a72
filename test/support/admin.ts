/** POSTs to the test runtime's admin app (the helper's supertest agent), for editor endpoints. */
import { helper } from './red';

interface SupertestResponse {
  status: number;
  body: unknown;
}
interface SupertestRequest extends PromiseLike<SupertestResponse> {
  send(body: object): SupertestRequest;
}
interface SupertestAgent {
  post(url: string): SupertestRequest;
}

export async function postAdmin(url: string, body: object): Promise<{ status: number; body: unknown }> {
  const res = await (helper as unknown as { request(): SupertestAgent }).request().post(url).send(body);
  return { status: res.status, body: res.body };
}

/** One step of the connection dialog's Test connection answer. */
export interface ProbeAnswer {
  ok: boolean;
  steps: { step: string; ok: boolean; code: string; params: Record<string, string | number> }[];
}

export const stepCodes = (a: ProbeAnswer): string[] => a.steps.map((s) => `${s.step}:${s.code}`);
