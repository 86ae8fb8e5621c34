/** The kernel switch and the fused ops, by concept: switch, training, decoding, optim. */
export * from './switch';
export * from './training';
export * from './decoding';
export * from './optim';
