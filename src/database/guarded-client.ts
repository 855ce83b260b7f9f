import { Client } from 'pg';

/**
 * pg's Client, never without an 'error' listener. pg-pool removes its idle listener when it hands a client out,
 * and TypeORM adds its own only in a promise callback a moment later. If the server's FATAL (a restart or
 * failover: 57P01 "terminating connection due to administrator command") arrives in the same socket read as the
 * answer that completed the checkout, the client emits 'error' in between. With no listener, Node throws, and
 * the process dies. Every other path still sees the error: the pending queries fail, and pg-pool and TypeORM
 * drop the client. This listener only keeps the emit from throwing.
 */
export class GuardedClient extends Client {
  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    this.on('error', () => undefined);
  }
}
