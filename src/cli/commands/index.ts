import type { CommandSpec } from '../types.js';
import { auditCommand } from './audit.js';
import { authCommand } from './auth.js';
import { completionCommand } from './completion.js';
import { credentialsCommand } from './credentials.js';
import { exampleServerCommand } from './exampleServer.js';
import { generateCommand } from './generate.js';
import { healthcheckCommand } from './healthcheck.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { keysCommand } from './keys.js';
import { restoreCommand } from './restore.js';
import { runCommand } from './run.js';
import { addCommand, disableCommand, enableCommand, listCommand, removeCommand } from './servers.js';
import { statusCommand } from './status.js';
import { toolsCommand } from './tools.js';
import { uiCommand } from './ui.js';
import { validateCommand } from './validate.js';
import { versionCommand } from './version.js';

/** Every command, in help order. Each file keeps its heavy imports inside its handler. */
export const COMMANDS: CommandSpec[] = [
  runCommand,
  uiCommand,
  validateCommand,
  statusCommand,
  addCommand,
  removeCommand,
  enableCommand,
  disableCommand,
  listCommand,
  toolsCommand,
  auditCommand,
  credentialsCommand,
  authCommand,
  keysCommand,
  initCommand,
  importCommand,
  generateCommand,
  restoreCommand,
  versionCommand,
  healthcheckCommand,
  exampleServerCommand,
  completionCommand,
];
