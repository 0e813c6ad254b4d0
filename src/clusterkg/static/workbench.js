/* The workbench's own script (clusterkg; not a third-party asset). */
