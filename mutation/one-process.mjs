// Runs several compiled tap test files in one node process (tap's root test gathers them all):
// on 2 shared cores, starting a process per file costs more than most of these tests take.
for (const file of process.argv.slice(2)) await import(new URL(file, `file://${process.cwd()}/`).href)
