/**
 * Where the supervisor's Worker comes from: `worker.ts` beside this module,
 * or `worker.js` beside the bundle this module was bundled into
 * (`dist/jail.js`, whose `import.meta.url` this then is).
 *
 * @module
 */

/** Starts the supervisor's worker. */
export function supervisorWorker(): Worker {
  const file = import.meta.url.endsWith(".js") ? "./worker.js" : "./worker.ts";
  return new Worker(new URL(file, import.meta.url).href, { type: "module" });
}
