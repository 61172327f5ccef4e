/**
 * The line the worker logs once it polls its task queue: the one signal that loading the workflows and connecting
 * worked. Whatever starts a worker as a process (dev stack, tests, benches) waits for it in the worker's log.
 */
export const WORKER_READY_LINE = 'lifeboat worker ready';
