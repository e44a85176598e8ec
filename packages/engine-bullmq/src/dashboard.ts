import { createServer, type RequestListener, type Server } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { openBroker, type Broker } from './broker.js';
import { BARRIER_QUEUE, cellQueueName } from './protocol.js';

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves bull-board for Percept's queues. It listens on 127.0.0.1 only: the board can retry and
 * delete jobs, so reaching it from elsewhere should go through an SSH tunnel or a proxy with auth.
 */
export async function serveDashboard(opts: { broker: string | Broker; port?: number; host?: string }): Promise<DashboardServer> {
  const broker = typeof opts.broker === 'string' ? openBroker(opts.broker) : opts.broker;
  const queues = [cellQueueName('cpu'), cellQueueName('gpu'), BARRIER_QUEUE].map((n) => broker.queue(n));
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  // @bull-board/express carries its own copy of @bull-board/api, so the two IServerAdapter
  // declarations differ nominally while agreeing at run time.
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: serverAdapter as never });
  // The adapter's router is an Express application, itself a plain request listener.
  const app = serverAdapter.getRouter() as RequestListener;
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(app);
    s.once('error', reject);
    s.listen(opts.port ?? 0, host, () => resolve(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled(queues.map((q) => q.close()));
    },
  };
}
