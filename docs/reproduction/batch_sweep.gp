set terminal pngcairo size 1200,520 font 'sans,10' noenhanced
set output 'batch_sweep.png'
set title 'Hermes speedup across batch sizes, RTX4090 + 8 NDP-DIMMs'
set datafile missing '?'
set grid ytics
set multiplot layout 1,2
set xlabel 'batch'
set ylabel 'speedup (x)'
set logscale xy 2
set key top right
set title 'over FlexGen'
plot 'batch_sweep.dat' using 1:2 with linespoints title 'OPT-13B', \
     'batch_sweep.dat' using 1:3 with linespoints title 'OPT-30B', \
     'batch_sweep.dat' using 1:4 with linespoints title 'OPT-66B', \
     'batch_sweep.dat' using 1:5 with linespoints title 'LLaMA2-13B', \
     'batch_sweep.dat' using 1:6 with linespoints title 'LLaMA2-70B', \
     'batch_sweep.dat' using 1:7 with linespoints title 'Falcon-40B'
set title 'over Deja Vu (OPT only)'
plot 'batch_sweep.dat' using 1:8 with linespoints title 'OPT-13B', \
     'batch_sweep.dat' using 1:9 with linespoints title 'OPT-30B', \
     'batch_sweep.dat' using 1:10 with linespoints title 'OPT-66B'
unset multiplot
