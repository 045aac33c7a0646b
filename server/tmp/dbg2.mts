import { startServer } from "../src/server.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { tempDir } from "../test/helpers.ts";

const dataDir = tempDir();
const config = { dataDir, http: { port: 0 }, mqtt: { port: 0 }, log: { level: "warn" } };
let server = await startServer({ config });
await server.services.personService.create({ name: "x" });
console.log("persons", await server.services.store.countPersons(), server.config.dataDir);
await server.stop();
const s = new SqliteStore(dataDir + "/argus.db");
await s.init();
console.log("after", await s.countPersons());
await s.close();
server = await startServer({ config });
console.log("persons2", await server.services.store.countPersons(), server.config.dataDir);
await server.stop();
