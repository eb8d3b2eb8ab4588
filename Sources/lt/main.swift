import Tools

// The release binary: one file installed as lt-query, lt-enrich, lt-send and lt-rollup, each run by its name.
Tool.multiCallMain()
