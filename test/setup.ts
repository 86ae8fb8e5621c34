import { beforeAll } from 'vitest';
import { initNodeBackend } from '../src/engine/node';

beforeAll(async () => {
  await initNodeBackend('cpu');
});
