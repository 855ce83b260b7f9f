import Fastify from 'fastify';
import { registerRequestContext, requestContext } from './request-context';

const tick = () => new Promise((r) => setImmediate(r));

function server() {
  const fastify = Fastify({ genReqId: (req) => String(req.headers['x-request-id']) });
  registerRequestContext(fastify);
  const gates = new Map<string, () => void>();
  // Sees the context before and after awaiting something another request releases, and after its body was parsed.
  fastify.post('/work', async (request) => {
    const before = requestContext.getStore()?.requestId;
    const gate = (request.body as { gate?: string }).gate;
    if (gate) await new Promise<void>((release) => gates.set(gate, release));
    await tick();
    return { before, after: requestContext.getStore()?.requestId };
  });
  fastify.post('/quiet', { config: { requestContext: false } }, async () => ({ seen: requestContext.getStore()?.requestId ?? null }));
  fastify.post('/release', async (request) => {
    gates.get((request.body as { gate: string }).gate)!();
    return { seen: requestContext.getStore()?.requestId };
  });
  return fastify;
}

describe('request context', () => {
  it('gives every request its own id, also across awaits while other requests start and finish', async () => {
    const app = server();
    const slow = app.inject({ method: 'POST', url: '/work', headers: { 'x-request-id': 'slow' }, payload: { gate: 'g' } });
    await tick();
    // Overlapping requests finish first: the storage must stay on for the one still in flight.
    const quick = await app.inject({ method: 'POST', url: '/work', headers: { 'x-request-id': 'quick' }, payload: {} });
    const quiet = await app.inject({ method: 'POST', url: '/quiet', headers: { 'x-request-id': 'quiet' }, payload: {} });
    const release = await app.inject({ method: 'POST', url: '/release', headers: { 'x-request-id': 'release' }, payload: { gate: 'g' } });
    expect(quick.json()).toEqual({ before: 'quick', after: 'quick' });
    expect(quiet.json()).toEqual({ seen: null });
    expect(release.json()).toEqual({ seen: 'release' });
    expect((await slow).json()).toEqual({ before: 'slow', after: 'slow' });
    await app.close();
  });

  it('works again after every request has finished and the storage was switched off', async () => {
    const app = server();
    for (const id of ['one', 'two', 'three']) {
      const res = await app.inject({ method: 'POST', url: '/work', headers: { 'x-request-id': id }, payload: {} });
      expect(res.json()).toEqual({ before: id, after: id });
      await tick();
      expect(requestContext.getStore()).toBeUndefined();
    }
    await app.close();
  });
});
