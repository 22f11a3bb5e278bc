import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../core/logger.ts';
import { MAX_BODY_BYTES } from '../../../supervisor/control/api-schema.ts';
import { ControlError } from '../../../supervisor/control/fleet-control.ts';
import type { FleetControl } from '../../../supervisor/control/fleet-control.ts';
import { startControlServer } from '../../../supervisor/control/server.ts';
import type { ControlServer } from '../../../supervisor/control/server.ts';
import { BOTS, DECISIONS, KILL, ORDERS, PNL, POSITIONS, STATUS, createFakeFleet } from './fake-fleet.ts';
import type { FakeFleet } from './fake-fleet.ts';

const TOKEN = 'a1'.repeat(32);
const WRONG_TOKEN = 'b2'.repeat(32);

interface LogEntry {
  level: string;
  fields: object;
  message: string;
}

function capturingLogger(entries: LogEntry[]): Logger {
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      entries.push({ level, fields, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** Raw node:http, so tests control every header and can send bodies fetch would refuse. */
function call(
  port: number,
  method: string,
  path: string,
  options: { token?: string | null; authorization?: string; body?: string | object; contentType?: string | null; chunked?: boolean } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? TOKEN : options.token;
  if (options.authorization !== undefined) headers['Authorization'] = options.authorization;
  else if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (body !== undefined && options.contentType !== null) headers['Content-Type'] = options.contentType ?? 'application/json';
  if (body !== undefined && options.chunked !== true) headers['Content-Length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
    });
    outgoing.on('error', reject);
    if (body !== undefined && options.chunked === true) {
      // Several writes without a Content-Length make node send the body chunked.
      for (let offset = 0; offset < body.length; offset += 8192) outgoing.write(body.slice(offset, offset + 8192));
      outgoing.end();
    } else {
      outgoing.end(body);
    }
  });
}

describe('the control API server', () => {
  let server: ControlServer | undefined;
  let fleet: FakeFleet;
  let logs: LogEntry[];

  async function start(overrides: Partial<FleetControl> = {}): Promise<number> {
    fleet = createFakeFleet(overrides);
    logs = [];
    server = await startControlServer({ control: fleet, token: TOKEN, port: 0, logger: capturingLogger(logs) });
    return server.port;
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('authentication', () => {
    it('test_request_when_no_authorization_header_then_401_and_the_fleet_is_not_asked', async () => {
      const port = await start();
      const reply = await call(port, 'GET', '/v1/status', { token: null });
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      expect(reply.headers['www-authenticate']).toBe('Bearer');
      expect(fleet.calls).toEqual([]);
    });

    it('test_request_when_token_is_wrong_or_malformed_then_401', async () => {
      const port = await start();
      const attempts = [
        `Bearer ${WRONG_TOKEN}`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Bearer ${TOKEN}x`,
        `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`,
        TOKEN,
        'Bearer',
        `Bearer ${TOKEN} extra`,
      ];
      for (const authorization of attempts) {
        const reply = await call(port, 'POST', '/v1/kill', { authorization, body: { flatten: true } });
        expect(reply.status, authorization).toBe(401);
      }
      expect(fleet.calls).toEqual([]);
    });

    it('test_request_when_scheme_is_lower_case_then_accepted', async () => {
      const port = await start();
      expect((await call(port, 'GET', '/v1/status', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    });

    it('test_unknown_route_when_unauthenticated_then_401_so_routes_cannot_be_probed', async () => {
      const port = await start();
      expect((await call(port, 'GET', '/v1/nothing-here', { token: WRONG_TOKEN })).status).toBe(401);
    });

    it('test_any_traffic_when_logged_or_answered_then_neither_token_appears', async () => {
      const port = await start({
        pnl: async () => {
          throw new Error('ledger locked');
        },
      });
      const replies = [
        await call(port, 'GET', '/v1/status'),
        await call(port, 'GET', '/v1/status', { token: WRONG_TOKEN }),
        await call(port, 'GET', '/v1/status', { token: null }),
        await call(port, 'POST', '/v1/halt', { body: { reason: 'test', token: TOKEN } }),
        await call(port, 'POST', '/v1/kill', { body: { flatten: false } }),
        await call(port, 'GET', '/v1/pnl'),
        await call(port, 'GET', '/v1/nowhere'),
      ];
      expect(logs.length).toBeGreaterThan(0);
      const everything = JSON.stringify(logs) + replies.map((reply) => JSON.stringify(reply.headers) + reply.text).join('');
      expect(everything).not.toContain(TOKEN);
      expect(everything).not.toContain(WRONG_TOKEN);
    });
  });

  describe('routing', () => {
    it('test_each_read_route_when_called_then_returns_the_fleet_data_as_json', async () => {
      const port = await start();
      const expectations: Array<[string, unknown]> = [
        ['/v1/status', STATUS],
        ['/v1/bots', BOTS],
        ['/v1/orders', ORDERS],
        ['/v1/positions', POSITIONS],
        ['/v1/pnl', PNL],
        ['/v1/decisions', DECISIONS],
      ];
      for (const [path, data] of expectations) {
        const reply = await call(port, 'GET', path);
        expect(reply.status, path).toBe(200);
        expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(reply.json, path).toEqual(data);
      }
    });

    it('test_each_route_when_called_then_the_fleet_receives_the_parsed_arguments', async () => {
      const port = await start();
      const cases: Array<[string, string, object | undefined, [string, unknown]]> = [
        ['GET', '/v1/status', undefined, ['status', undefined]],
        ['GET', '/v1/status?bot=trend', undefined, ['status', { botId: 'trend' }]],
        ['GET', '/v1/bots', undefined, ['bots', undefined]],
        ['POST', '/v1/bots/grid/start', undefined, ['startBot', 'grid']],
        ['POST', '/v1/bots/grid/stop', {}, ['stopBot', 'grid']],
        ['POST', '/v1/bots/trend/restart', undefined, ['restartBot', 'trend']],
        ['POST', '/v1/kill', { flatten: false }, ['kill', { flatten: false }]],
        ['POST', '/v1/kill', { botId: 'trend', flatten: true }, ['kill', { botId: 'trend', flatten: true }]],
        ['POST', '/v1/halt', { reason: 'exchange maintenance' }, ['halt', { reason: 'exchange maintenance' }]],
        ['POST', '/v1/halt', { botId: 'grid', reason: 'r' }, ['halt', { botId: 'grid', reason: 'r' }]],
        ['POST', '/v1/resume', undefined, ['resume', {}]],
        ['POST', '/v1/resume', { botId: 'grid' }, ['resume', { botId: 'grid' }]],
        ['GET', '/v1/drawdown', undefined, ['drawdown', {}]],
        ['GET', '/v1/drawdown?bot=trend', undefined, ['drawdown', { botId: 'trend' }]],
        ['POST', '/v1/drawdown', { thresholdPercent: '7.5' }, ['setDrawdown', { thresholdPercent: '7.5' }]],
        ['POST', '/v1/drawdown', { botId: 'trend', thresholdPercent: '100' }, ['setDrawdown', { botId: 'trend', thresholdPercent: '100' }]],
        ['POST', '/v1/drawdown', { botId: 'trend', window: '30d', thresholdPercent: '12' }, ['setDrawdown', { botId: 'trend', window: '30d', thresholdPercent: '12' }]],
        ['GET', '/v1/orders', undefined, ['orders', { openOnly: false, limit: 50 }]],
        ['GET', '/v1/orders?bot=trend&open=1&limit=5', undefined, ['orders', { botId: 'trend', openOnly: true, limit: 5 }]],
        ['GET', '/v1/positions?bot=grid', undefined, ['positions', { botId: 'grid' }]],
        ['GET', '/v1/pnl', undefined, ['pnl', {}]],
        ['GET', '/v1/decisions?denied=1&limit=1000', undefined, ['decisions', { deniedOnly: true, limit: 1000 }]],
        ['GET', '/v1/decisions?denied=0&bot=grid', undefined, ['decisions', { botId: 'grid', deniedOnly: false, limit: 50 }]],
      ];
      for (const [method, path, body, expected] of cases) {
        fleet.calls.length = 0;
        const reply = await call(port, method, path, body === undefined ? {} : { body });
        expect(reply.status, `${method} ${path}: ${reply.text}`).toBe(200);
        expect(fleet.calls, `${method} ${path}`).toEqual([expected]);
      }
    });

    it('test_kill_when_called_then_replies_with_the_kill_result', async () => {
      const port = await start();
      const reply = await call(port, 'POST', '/v1/kill', { body: { flatten: true } });
      expect(reply.json).toEqual(KILL);
    });

    it('test_unknown_path_when_authenticated_then_404', async () => {
      const port = await start();
      for (const path of ['/v1/nothing', '/v1/status/', '/v2/status', '/v1/bots/trend', '/v1/bots/trend/pause']) {
        const reply = await call(port, 'GET', path);
        expect(reply.status, path).toBe(404);
        expect(reply.json).toMatchObject({ error: { code: 'BAD_REQUEST' } });
      }
    });

    it('test_known_path_when_wrong_method_then_405_with_allow', async () => {
      const port = await start();
      const reply = await call(port, 'DELETE', '/v1/status');
      expect(reply.status).toBe(405);
      expect(reply.headers['allow']).toBe('GET');
      const both = await call(port, 'PUT', '/v1/drawdown');
      expect(both.headers['allow']).toBe('GET, POST');
      expect((await call(port, 'GET', '/v1/kill')).status).toBe(405);
    });
  });

  describe('validation', () => {
    async function expectBadRequest(port: number, method: string, path: string, body: string | object | undefined, mentions: string): Promise<void> {
      const reply = await call(port, method, path, body === undefined ? {} : { body });
      expect(reply.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      const error = (reply.json as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain(mentions);
    }

    it('test_body_when_it_has_an_unknown_key_then_400_naming_the_key', async () => {
      const port = await start();
      await expectBadRequest(port, 'POST', '/v1/kill', { flatten: true, force: true }, '"force"');
      await expectBadRequest(port, 'POST', '/v1/halt', { reason: 'r', bot: 'trend' }, '"bot"');
      await expectBadRequest(port, 'POST', '/v1/resume', { everything: true }, '"everything"');
      await expectBadRequest(port, 'POST', '/v1/bots/grid/start', { now: true }, '"now"');
      await expectBadRequest(port, 'POST', '/v1/drawdown', { thresholdPercent: '5', windowMs: 86_400_000 }, '"windowMs"');
      expect(fleet.calls).toEqual([]);
    });

    it('test_body_when_fields_are_missing_or_malformed_then_400_naming_the_field', async () => {
      const port = await start();
      await expectBadRequest(port, 'POST', '/v1/kill', {}, 'flatten');
      await expectBadRequest(port, 'POST', '/v1/kill', { flatten: 'yes' }, 'flatten');
      await expectBadRequest(port, 'POST', '/v1/kill', { botId: 'Trend!', flatten: true }, 'botId');
      await expectBadRequest(port, 'POST', '/v1/halt', {}, 'reason');
      await expectBadRequest(port, 'POST', '/v1/halt', { reason: '   ' }, 'reason');
      await expectBadRequest(port, 'POST', '/v1/halt', { reason: 'x'.repeat(501) }, 'reason');
      for (const thresholdPercent of ['0', '0.0', '100.01', '101', '-1', '1e1', ' 5', '', 'five']) {
        await expectBadRequest(port, 'POST', '/v1/drawdown', { thresholdPercent }, 'thresholdPercent');
      }
      await expectBadRequest(port, 'POST', '/v1/drawdown', { thresholdPercent: 5 }, 'thresholdPercent');
      for (const window of [1, '30 days', '0d', '1w', '-1d', '']) await expectBadRequest(port, 'POST', '/v1/drawdown', { thresholdPercent: '5', window }, 'window');
      await expectBadRequest(port, 'POST', '/v1/kill', [true], 'body');
      await expectBadRequest(port, 'POST', '/v1/bots/NOT_A_BOT/start', undefined, 'bot id');
      expect(fleet.calls).toEqual([]);
    });

    it('test_body_when_not_json_then_400_or_415', async () => {
      const port = await start();
      await expectBadRequest(port, 'POST', '/v1/kill', '{"flatten": tru', 'not valid JSON');
      const wrongType = await call(port, 'POST', '/v1/kill', { body: '{"flatten":true}', contentType: 'text/plain' });
      expect(wrongType.status).toBe(415);
      const noType = await call(port, 'POST', '/v1/kill', { body: '{"flatten":true}', contentType: null });
      expect(noType.status).toBe(415);
      const withCharset = await call(port, 'POST', '/v1/kill', { body: '{"flatten":true}', contentType: 'application/json; charset=utf-8' });
      expect(withCharset.status).toBe(200);
    });

    it('test_query_when_malformed_or_unknown_then_400_naming_the_parameter', async () => {
      const port = await start();
      await expectBadRequest(port, 'GET', '/v1/orders?botId=trend', undefined, '"botId"');
      await expectBadRequest(port, 'GET', '/v1/status?verbose=1', undefined, '"verbose"');
      await expectBadRequest(port, 'GET', '/v1/positions?open=1', undefined, '"open"');
      await expectBadRequest(port, 'GET', '/v1/orders?limit=0', undefined, 'limit');
      await expectBadRequest(port, 'GET', '/v1/orders?limit=-3', undefined, 'limit');
      await expectBadRequest(port, 'GET', '/v1/orders?limit=2.5', undefined, 'limit');
      await expectBadRequest(port, 'GET', '/v1/decisions?limit=1001', undefined, 'limit');
      await expectBadRequest(port, 'GET', '/v1/orders?open=yes', undefined, 'open');
      await expectBadRequest(port, 'GET', '/v1/decisions?denied=true', undefined, 'denied');
      await expectBadRequest(port, 'GET', '/v1/pnl?bot=BAD', undefined, 'bot');
      await expectBadRequest(port, 'GET', '/v1/pnl?bot=trend&bot=grid', undefined, '"bot" is given more than once');
      await expectBadRequest(port, 'POST', '/v1/kill?flatten=1', { flatten: false }, 'not the query string');
      expect(fleet.calls).toEqual([]);
    });
  });

  describe('errors', () => {
    it('test_control_error_when_thrown_by_the_fleet_then_mapped_to_its_status_and_code', async () => {
      const port = await start({
        halt: async () => {
          throw new ControlError('BAD_REQUEST', 'the fleet is already halted');
        },
        resume: async () => {
          throw new ControlError('UNAUTHORIZED', 'resuming needs a second operator');
        },
      });
      const cases: Array<[string, string, object | undefined, number, string, string]> = [
        ['POST', '/v1/bots/ghost/start', undefined, 404, 'UNKNOWN_BOT', 'no bot "ghost" in this fleet'],
        ['GET', '/v1/positions?bot=ghost', undefined, 404, 'UNKNOWN_BOT', 'no bot "ghost" in this fleet'],
        ['POST', '/v1/bots/trend/start', undefined, 409, 'CONFLICT', 'bot "trend" is already running'],
        ['POST', '/v1/halt', { reason: 'again' }, 400, 'BAD_REQUEST', 'the fleet is already halted'],
        ['POST', '/v1/resume', {}, 401, 'UNAUTHORIZED', 'resuming needs a second operator'],
      ];
      for (const [method, path, body, status, code, message] of cases) {
        const reply = await call(port, method, path, body === undefined ? {} : { body });
        expect(reply.status, path).toBe(status);
        expect(reply.json).toEqual({ error: { code, message } });
      }
    });

    it('test_unexpected_error_when_thrown_by_the_fleet_then_500_generic_and_the_detail_only_in_the_log', async () => {
      const detail = 'SQLITE_BUSY: database /srv/secret/ledger.db is locked';
      const port = await start({
        status: async () => {
          throw new Error(detail);
        },
        bots: async () => {
          throw new ControlError('INTERNAL', `internal: ${detail}`);
        },
      });
      for (const path of ['/v1/status', '/v1/bots']) {
        const reply = await call(port, 'GET', path);
        expect(reply.status).toBe(500);
        expect(reply.json).toEqual({ error: { code: 'INTERNAL', message: expect.any(String) } });
        expect(reply.text).not.toContain('SQLITE_BUSY');
        expect(reply.text).not.toContain('/srv/secret');
      }
      const errors = logs.filter((entry) => entry.level === 'error');
      expect(errors).toHaveLength(2);
      expect(JSON.stringify(errors)).toContain('SQLITE_BUSY');
    });

    it('test_reply_when_data_cannot_be_serialized_then_500', async () => {
      const port = await start({ pnl: async () => [{ equity: 10n }] as never });
      expect((await call(port, 'GET', '/v1/pnl')).status).toBe(500);
    });
  });

  describe('body size', () => {
    function padded(size: number): string {
      const json = JSON.stringify({ reason: 'padding test' });
      return json + ' '.repeat(size - json.length);
    }

    it('test_body_when_exactly_the_limit_then_accepted', async () => {
      const port = await start();
      const reply = await call(port, 'POST', '/v1/halt', { body: padded(MAX_BODY_BYTES) });
      expect(reply.status).toBe(200);
    });

    it('test_body_when_declared_larger_than_the_limit_then_413_without_asking_the_fleet', async () => {
      const port = await start();
      const reply = await call(port, 'POST', '/v1/halt', { body: padded(MAX_BODY_BYTES + 1) });
      expect(reply.status).toBe(413);
      expect(reply.json).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringContaining(String(MAX_BODY_BYTES)) } });
      expect(fleet.calls).toEqual([]);
    });

    it('test_body_when_chunked_past_the_limit_then_413_without_asking_the_fleet', async () => {
      const port = await start();
      const reply = await call(port, 'POST', '/v1/halt', { body: padded(MAX_BODY_BYTES * 3), chunked: true });
      expect(reply.status).toBe(413);
      expect(fleet.calls).toEqual([]);
      // The server still answers afterwards.
      expect((await call(port, 'GET', '/v1/status')).status).toBe(200);
    });
  });

  describe('lifecycle', () => {
    it('test_start_when_host_is_not_loopback_or_token_is_short_then_refused', async () => {
      const logger = capturingLogger([]);
      const control = createFakeFleet();
      await expect(startControlServer({ control, token: TOKEN, host: '0.0.0.0', logger })).rejects.toThrow(/loopback/);
      await expect(startControlServer({ control, token: TOKEN, host: '192.168.1.10', logger })).rejects.toThrow(/loopback/);
      await expect(startControlServer({ control, token: 'short', logger })).rejects.toThrow(/at least 32/);
    });

    it('test_close_when_called_then_the_port_stops_accepting', async () => {
      const port = await start();
      expect((await call(port, 'GET', '/v1/status')).status).toBe(200);
      await server?.close();
      server = undefined;
      await expect(call(port, 'GET', '/v1/status')).rejects.toThrow(/ECONNREFUSED/);
    });
  });
});
