// Prints every .tf file given as JSON ({"path": parsed, ...}) through HashiCorp's own HCL
// parser (hcl2json, Go compiled to WebAssembly). A syntax error exits 1 naming the file.
import { readFileSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';

const parsed = {};
for (const path of process.argv.slice(2)) {
  try {
    parsed[path] = await parse(path, readFileSync(path, 'utf8'));
  } catch (error) {
    process.stderr.write(`${path}: ${error.message || error}\n`);
    process.exit(1);
  }
}
process.stdout.write(JSON.stringify(parsed));
