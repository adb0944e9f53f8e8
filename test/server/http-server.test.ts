import { request, Agent, type IncomingMessage } from 'node:http';
import { listen, type HttpServer } from '../../src/server/http-server';

// A reply read to the end, and whether it came on a connection an earlier request had opened.
function post(port: number, agent: Agent): Promise<{ res: IncomingMessage; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ res, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('listen: draining keep-alive connections', () => {
  let server: HttpServer;
  let agent: Agent;
  let release: () => void = () => undefined;
  let arrived: () => void = () => undefined;

  beforeEach(async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // Each request waits for release() once it has arrived, so a test can drain while one is in flight.
    server = await listen(
      (_req, res) => {
        arrived();
        const finish = () => res.end('ok');
        release = finish;
      },
      0,
      '127.0.0.1',
    );
  });

  afterEach(async () => {
    agent.destroy();
    release();
    await server.close(100);
  });

  const inFlight = () => {
    const reached = new Promise<void>((r) => (arrived = r));
    const reply = post(server.address.port, agent);
    return { reached, reply };
  };

  it('keeps connections alive until it drains', async () => {
    const { reached, reply } = inFlight();
    await reached;
    release();
    expect((await reply).res.headers.connection).toBe('keep-alive');
  });

  it('tells a request in flight when the drain starts to close its connection', async () => {
    const { reached, reply } = inFlight();
    await reached;
    server.drain();
    release();
    const { res } = await reply;
    expect(res.headers.connection).toBe('close');
  });

  it('closes the connection after each request that arrives while draining', async () => {
    const first = inFlight();
    await first.reached;
    release();
    expect((await first.reply).res.headers.connection).toBe('keep-alive');
    server.drain();
    const second = inFlight();
    await second.reached;
    release();
    const { res, reused } = await second.reply;
    // The same connection: the drain reached a client that already held one.
    expect(reused).toBe(true);
    expect(res.headers.connection).toBe('close');
  });
});
