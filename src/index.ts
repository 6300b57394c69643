// asyngrad: public library entry.
export { Engine, MODES, type Mode, type EngineOptions, type PassStats, type WorkerPassStats, type TrainableModel } from './engine/engine.js';
export { LogRegModel, syntheticLogReg, type LogRegData } from './models/logreg/model.js';
export { ArenaLayout } from './runtime/arena.js';
export { Rng } from './runtime/rng.js';
