set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output 'ablation.png'
set title 'MLP latency per token, LLaMA2-70B, batch 1'
set datafile missing '?'
set grid ytics
set ylabel 'ms per token'
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top right
set xtics rotate by -20
plot 'ablation.dat' using 2:xtic(1) title 'ours', '' using 3 title 'paper ratios (anchored at our Hermes)'
