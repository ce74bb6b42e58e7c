import { Command } from "commander";

const program = new Command("prefopt");
program.command("verify").action(() => console.log("verify"));
await program.parseAsync();
