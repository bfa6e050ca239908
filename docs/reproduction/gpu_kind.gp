set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output 'gpu_kind.png'
set title 'Throughput against the GPU, LLaMA2-70B, batch 1'
set datafile missing '?'
set grid ytics
set ylabel 'tokens/s'
set yrange [0:*]
set xlabel 'GPU'
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.6
plot 'gpu_kind.dat' using 2:xtic(1) title 'Hermes'
