export { downsample, terminalChart } from "./charts.js";
export { type FlagSpec, type FlagValues, parseFlags } from "./cli.js";
export { type Progress, progress } from "./progress.js";
export { decisionBoundarySvg, fitPlotSvg, lineChartSvg, writeSvg } from "./svg.js";
export { formatTable } from "./table.js";
