export * from './box.js';
export * from './events.js';
export * from './input.js';
export * from './topics.js';
export * from './update.js';
export * from './zone.js';
