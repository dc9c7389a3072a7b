// Entry point of the language server (stdio, IPC or a socket, as the client chooses on the command line:
// --stdio, --node-ipc, --socket=N). Run from the bundle (dist/server.cjs) or, in tests, from source via tsx.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "./server.js";

startServer(createConnection(ProposedFeatures.all));
