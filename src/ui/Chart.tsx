/** A small line chart (recharts) over downsampled rows. */
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';

export interface Series {
  key: string;
  name: string;
  color: string;
  dashed?: boolean;
  axis?: 'left' | 'right';
  /** A discrete series (one value per position): straight segments with a marker at each point. */
  points?: boolean;
}

const COLORS = ['#3b6fd6', '#e2802f', '#2a9d57', '#b23a48', '#7b5cc4', '#1b998b', '#c49a1b', '#555'];
export const color = (i: number) => COLORS[i % COLORS.length]!;

export function Chart(props: { rows: Record<string, number | null>[]; x: string; series: Series[]; height?: number; rightLabel?: string; xLabel?: string; rightIsShare?: boolean }) {
  const { rows, x, series, height = 200, rightLabel, xLabel, rightIsShare } = props;
  const hasRight = series.some((s) => s.axis === 'right');
  return (
    <LineChart width={440} height={height} data={rows} margin={{ top: 6, right: hasRight ? 4 : 16, bottom: xLabel ? 10 : 0, left: 0 }}>
      <CartesianGrid stroke="#eceff5" />
      <XAxis dataKey={x} type="number" domain={['dataMin', 'dataMax']} tick={{ fontSize: 11 }} allowDecimals={!series.some((s) => s.points)} label={xLabel ? { value: xLabel, position: 'insideBottom', offset: -8, fontSize: 11 } : undefined} />
      <YAxis yAxisId="left" tick={{ fontSize: 11 }} width={48} />
      {hasRight && <YAxis yAxisId="right" orientation="right" tick={{ fontSize: 11 }} domain={rightIsShare ? [0, 1] : undefined} width={rightLabel ? 58 : 40} label={rightLabel ? { value: rightLabel, angle: 90, position: 'insideRight', fontSize: 11 } : undefined} />}
      <Tooltip isAnimationActive={false} />
      {/* In the order of the series (recharts sorts by name unless told otherwise). */}
      <Legend wrapperStyle={{ fontSize: 12 }} verticalAlign="top" itemSorter={(item) => series.findIndex((s) => s.key === item.dataKey)} />
      {series.map((s) => (
        <Line
          key={s.key}
          yAxisId={s.axis ?? 'left'}
          type={s.points ? 'linear' : 'monotone'}
          dataKey={s.key}
          name={s.name}
          stroke={s.color}
          strokeDasharray={s.dashed ? '4 3' : undefined}
          dot={s.points ? { r: 2 } : false}
          isAnimationActive={false}
          connectNulls
        />
      ))}
    </LineChart>
  );
}
