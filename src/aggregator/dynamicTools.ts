/** Dynamic tools mode (two meta-tools instead of every schema): see issue 9. Placeholder until it lands. */
import { AppError } from '../errors.js';
import type { ToolsMode } from './server.js';

export function createDynamicToolsMode(): ToolsMode {
  throw new AppError('USAGE', 'dynamic tools mode is not implemented yet');
}
