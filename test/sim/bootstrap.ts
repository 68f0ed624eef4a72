// New-device registrations and the s/ucr polling state machine of §4.1 / §11.
import { randomBytes } from 'node:crypto';

export type RegistrationState = 'WAITING_FOR_CONNECTION' | 'PENDING_ACCEPTANCE' | 'ACCEPTED';

interface Registration {
  state: RegistrationState;
  password?: string; // fixed at acceptance
  unquoted?: boolean; // send the 70 line without CSV quoting (rule 3.1-10 test)
}

/** What a poll leads to: nothing, or the credentials to hand out once. */
export type PollOutcome = { answer: false } | { answer: true; user: string; password: string; unquoted: boolean };

export class Registrations {
  private readonly byDevice = new Map<string, Registration>();
  private nextPassword: { pw: string; unquoted: boolean } | undefined;

  register(deviceId: string): void {
    this.byDevice.set(deviceId, { state: 'WAITING_FOR_CONNECTION' });
  }

  state(deviceId: string): RegistrationState | undefined {
    return this.byDevice.get(deviceId)?.state;
  }

  setNextPassword(pw: string, unquoted = false): void {
    this.nextPassword = { pw, unquoted };
  }

  /** Operator acceptance; the password is chosen now (setNextPassword or random). */
  accept(deviceId: string): void {
    const reg = this.byDevice.get(deviceId);
    if (!reg) throw new Error(`no registration for ${deviceId}`);
    reg.state = 'ACCEPTED';
    reg.password = this.nextPassword?.pw ?? randomBytes(12).toString('base64url');
    reg.unquoted = this.nextPassword?.unquoted ?? false;
    this.nextPassword = undefined;
  }

  /**
   * One empty publish on s/ucr. Unregistered ids and polls before acceptance get no answer; the
   * first poll moves WAITING → PENDING; after acceptance the next poll gets the credentials once
   * and the registration is gone.
   */
  poll(deviceId: string): PollOutcome {
    const reg = this.byDevice.get(deviceId);
    if (!reg) return { answer: false };
    if (reg.state === 'WAITING_FOR_CONNECTION') {
      reg.state = 'PENDING_ACCEPTANCE';
      return { answer: false };
    }
    if (reg.state === 'PENDING_ACCEPTANCE' || reg.password === undefined) return { answer: false };
    this.byDevice.delete(deviceId);
    return { answer: true, user: `device_${deviceId}`, password: reg.password, unquoted: reg.unquoted ?? false };
  }
}
