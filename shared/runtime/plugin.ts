// What fastify-plugin does, without the dependency: a plugin marked so is not encapsulated, its
// hooks and decorators apply to the root instance (every runtime plugin is meant to).
import type { FastifyPluginCallback, FastifyPluginOptions } from 'fastify';

export function rootPlugin<Options extends FastifyPluginOptions = Record<never, never>>(
  name: string,
  plugin: FastifyPluginCallback<Options>,
): FastifyPluginCallback<Options> {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: name });
}
