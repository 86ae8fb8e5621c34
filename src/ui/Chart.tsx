/** A small line chart (recharts) over downsampled rows, as wide as its panel. */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

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

const TICK = { fontSize: 11 };

export function Chart(props: { rows: Record<string, number | null>[]; x: string; series: Series[]; height?: number; rightLabel?: string; xLabel?: string; rightIsShare?: boolean }) {
  const { rows, x, series, height = 200, rightLabel, xLabel, rightIsShare } = props;
  const hasRight = series.some((s) => s.axis === 'right');
  const discrete = series.some((s) => s.points);
  // Legend and tooltip list the series in the order given (recharts sorts them by name otherwise).
  const order = (item: { dataKey?: unknown }) => series.findIndex((s) => s.key === item.dataKey);
  return (
    // The wrapper gives ResponsiveContainer a width to measure, also inside grid and flex items.
    <div className="chart" style={{ height }}>
      <ResponsiveContainer width="100%" height={height} minWidth={0}>
        <LineChart data={rows} margin={{ top: 6, right: hasRight ? 4 : 16, bottom: xLabel ? 10 : 0, left: 0 }}>
          <CartesianGrid stroke="#eceff5" />
          <XAxis
            dataKey={x}
            type="number"
            domain={['dataMin', 'dataMax']}
            tick={TICK}
            allowDecimals={!discrete}
            label={xLabel ? { value: xLabel, position: 'insideBottom', offset: -8, fontSize: 11 } : undefined}
          />
          <YAxis yAxisId="left" tick={TICK} width={48} />
          {hasRight && (
            <YAxis
              yAxisId="right"
              orientation="right"
              tick={TICK}
              domain={rightIsShare ? [0, 1] : undefined}
              // Room for the tick labels, then the rotated title along the outer edge, clear of them.
              width={rightLabel ? 66 : 44}
              label={rightLabel ? { value: rightLabel, angle: 90, position: 'insideRight', offset: 4, fontSize: 11, style: { textAnchor: 'middle' } } : undefined}
            />
          )}
          <Tooltip isAnimationActive={false} itemSorter={order} />
          <Legend wrapperStyle={{ fontSize: 12, paddingBottom: 6 }} verticalAlign="top" itemSorter={order} />
          {series.map((s) => (
            <Line
              key={s.key}
              yAxisId={s.axis ?? 'left'}
              type={s.points ? 'linear' : 'monotone'}
              dataKey={s.key}
              name={s.name}
              stroke={s.color}
              strokeDasharray={s.dashed ? '4 3' : undefined}
              dot={s.points ? { r: 3, strokeDasharray: '' } : false}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
